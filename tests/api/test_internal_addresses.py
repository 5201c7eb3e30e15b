"""Self-hosted installs use internal mail domains: `admin@acme.test` and `a@corp.local` are addresses like any.

Accepted for users (API and bootstrap), for `tenantplane apply`, and for e-mail channels; what is not an
address at all is still refused with the field named.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import TenantContext

INTERNAL = ["admin@acme.test", "a@corp.local", "ops@intranet.localhost"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("email", INTERNAL)
async def test_a_user_may_have_an_internal_address(tenant: TenantContext, email: str) -> None:
    created = await tenant.client.post(
        "/api/users", json={"email": email, "display_name": "Internal"}, headers=tenant.admin.headers
    )
    assert created.status_code == 201, created.text
    assert created.json()["email"] == email


async def test_what_is_no_address_is_still_refused_naming_the_field(tenant: TenantContext) -> None:
    refused = await tenant.client.post(
        "/api/users", json={"email": "a@corp..local", "display_name": "Bad"}, headers=tenant.admin.headers
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "email"


async def test_an_email_channel_may_send_from_and_to_internal_addresses(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    config = {"host": "127.0.0.1", "port": 2525, "from": "plane@acme.test", "to": ["oncall@corp.local"]}
    created = await client.post(
        "/api/notifications/channels", json={"name": "mail", "type": "email", "config": config},
        headers=tenant.admin.headers,
    )  # fmt: skip
    assert created.status_code == 201, created.text


def test_bootstrap_and_apply_take_internal_addresses(clean_database: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTPLANE_")}
    env |= {"TENANTPLANE_DATABASE_URL": clean_database, "TENANTPLANE_SECRET_KEY": "k" * 48}
    env |= {"TENANTPLANE_DATA_DIR": str(tmp_path), "TENANTPLANE_LOG_LEVEL": "WARNING"}
    cli = [sys.executable, "-m", "tenantplane.cli"]
    slug = f"internal-{os.getpid()}"
    boot = subprocess.run(
        [*cli, "bootstrap", "--tenant", slug, "--admin-email", "admin@acme.test", "--admin-password", "x" * 16],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert boot.returncode == 0, boot.stdout + boot.stderr
    people = tmp_path / "people.yaml"
    people.write_text("kind: User\nemail: a@corp.local\ndisplay_name: Corp\nroles: [requester]\n")
    applied = subprocess.run(
        [*cli, "apply", "-f", str(people), "--tenant", slug, "--yes"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert applied.returncode == 0, applied.stdout + applied.stderr
