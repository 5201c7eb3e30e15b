"""Accounts through real processes: `serve` keys its sign-in throttle on the TCP peer (X-Forwarded-For is not
believed by default), `unlock-account` lifts a lockout (audited as system), and `apply` keeps an active admin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.live_server import ROOT, serving

pytestmark = pytest.mark.system
TENANT = "acct"
ADMIN = ("admin@acct.example.com", "acct-admin-pw-1")


@pytest.fixture
def env(clean_database: str, tmp_path: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TENANTPLANE_")}
    environment |= {
        "TENANTPLANE_DATABASE_URL": clean_database,
        "TENANTPLANE_SECRET_KEY": "account-cli-secret-" + "x" * 32,
        "TENANTPLANE_DATA_DIR": str(tmp_path / "data"),
        "TENANTPLANE_LOG_LEVEL": "WARNING",
    }
    done = _cli(environment, "bootstrap", "--tenant", TENANT, "--admin-email", ADMIN[0], "--admin-password", ADMIN[1])
    assert done.returncode == 0, done.stderr
    return environment


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tenantplane.cli", *args],
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _query(env: dict[str, str], sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(env["TENANTPLANE_DATABASE_URL"]) as conn:
        return conn.execute(sql).fetchall()  # type: ignore[arg-type]


def _sign_in(http: httpx.Client, password: str, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    body = {"tenant": TENANT, "email": ADMIN[0], "password": password}
    return http.post("/api/auth/token", json=body, headers=headers).status_code


def test_serve_throttles_per_peer_address_and_unlock_account_lifts_it(env: dict[str, str]) -> None:
    with (
        serving(env, worker=False) as url,
        httpx.Client(base_url=url, timeout=30, transport=httpx.HTTPTransport(local_address="127.0.0.1")) as attacker,
        httpx.Client(base_url=url, timeout=30, transport=httpx.HTTPTransport(local_address="127.0.0.2")) as owner,
    ):
        for n in range(5):  # a fresh forged X-Forwarded-For each time: not believed, so all count for 127.0.0.1
            assert _sign_in(attacker, "wrong-password", forwarded_for=f"127.0.3.{n}") == 401
        assert _sign_in(attacker, ADMIN[1], forwarded_for="127.0.3.99") == 429
        assert _sign_in(owner, ADMIN[1]) == 200
        assert _query(env, "SELECT address FROM login_throttles WHERE address <> '*'") == [("127.0.0.1",)]

        unlocked = _cli(env, "unlock-account", "--tenant", TENANT, "--email", ADMIN[0].upper())
        assert unlocked.returncode == 0, unlocked.stderr
        assert "locked out from 1 address" in unlocked.stdout
        assert _sign_in(attacker, ADMIN[1]) == 200
    events = _query(
        env, "SELECT actor_type, actor_label, summary->>'email' FROM audit_events WHERE action = 'user.unlocked'"
    )
    assert events == [("system", "system", ADMIN[0])]
    missing = _cli(env, "unlock-account", "--tenant", TENANT, "--email", "nobody@acct.example.com")
    assert missing.returncode == 1
    assert "no user nobody@acct.example.com" in missing.stderr


def test_behind_a_named_proxy_the_forwarded_address_is_the_client(env: dict[str, str]) -> None:
    with (
        serving({**env, "TENANTPLANE_FORWARDED_ALLOW_IPS": "127.0.0.1"}, worker=False) as url,
        httpx.Client(base_url=url, timeout=30) as proxy,
    ):
        for _ in range(5):
            assert _sign_in(proxy, "wrong-password", forwarded_for="127.0.5.1") == 401
        assert _sign_in(proxy, ADMIN[1], forwarded_for="127.0.5.1") == 429
        assert _sign_in(proxy, ADMIN[1], forwarded_for="127.0.5.2") == 200


def _admins(env: dict[str, str]) -> list[tuple[object, ...]]:
    return _query(env, "SELECT email FROM users WHERE is_active AND 'admin' = ANY(roles) ORDER BY email")


DISABLED_ADMIN = (
    "kind: User\nemail: off@acct.example.com\ndisplay_name: Dormant Admin\nroles: [admin]\nis_active: false\n"
)


@pytest.mark.parametrize("also", ["", DISABLED_ADMIN], ids=["alone", "with-a-disabled-admin"])
def test_apply_refuses_to_leave_the_tenant_without_an_active_admin(
    env: dict[str, str], tmp_path: Path, also: str
) -> None:
    doc = tmp_path / "people.yaml"
    doc.write_text(f"kind: User\nemail: {ADMIN[0]}\ndisplay_name: Administrator\nroles: [requester]\n---\n{also}")
    events = _query(env, "SELECT count(*) FROM audit_events")
    failed = _cli(env, "apply", "-f", str(doc), "--tenant", TENANT, "--yes")
    assert failed.returncode == 1
    assert "without an active admin" in failed.stderr
    assert "nothing was written" in failed.stderr
    assert _admins(env) == [(ADMIN[0],)]
    assert _query(env, "SELECT count(*) FROM audit_events") == events


def test_apply_may_hand_the_admin_role_over_in_either_order(env: dict[str, str], tmp_path: Path) -> None:
    doc = tmp_path / "people.yaml"
    doc.write_text(
        f"kind: User\nemail: {ADMIN[0]}\ndisplay_name: Administrator\nroles: [requester]\n---\n"
        "kind: User\nemail: next@acct.example.com\ndisplay_name: Next Admin\n"
        "password: next-admin-pw-1\nroles: [admin]\n"
    )
    done = _cli(env, "apply", "-f", str(doc), "--tenant", TENANT, "--yes")
    assert done.returncode == 0, done.stderr
    assert _admins(env) == [("next@acct.example.com",)]
