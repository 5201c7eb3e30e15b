"""The inbound webhook (`POST /api/hooks/{token}`) looks its token up before it reads the body, then parses the
body with the rules of every other body: an unknown token is a 404 whatever is sent, bad JSON a 4xx, never a 500.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.api.conftest import TenantContext
from tests.api.sweep_automation import create_workflow, step, workflow_body
from tests.api.sweep_triggers import create_trigger
from tests.api.test_input_rules import JSON, count, problem

DEEP = b"[" * 100_000 + b"]" * 100_000


async def _webhook(tenant: TenantContext, *, enabled: bool = True) -> str:
    workflow = await create_workflow(tenant, workflow_body(step("pause", "delay", seconds=60)))
    trigger = await create_trigger(tenant, str(workflow["id"]), "webhook")
    if not enabled:
        path = f"/api/workflows/{workflow['id']}/triggers/{trigger['id']}"
        patched = await tenant.client.patch(path, json={"enabled": False}, headers=tenant.admin.headers)
        assert patched.status_code == 200, patched.text
    return str(trigger["url"])


@pytest.mark.parametrize(
    "raw", [DEEP, b'{"a": "\\u0000"}', b"{not json", b"NaN", b"x" * (2 * 1024 * 1024)], ids=lambda r: repr(r[:12])
)
async def test_an_unknown_token_is_a_404_whatever_the_body(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext, raw: bytes
) -> None:
    await _webhook(tenant)
    before = await count(app, "executions")
    problem(await client.post("/api/hooks/" + "x" * 43, content=raw, headers=JSON), 404)
    assert await count(app, "executions") == before


async def test_a_disabled_webhook_is_a_404_before_its_body_is_parsed(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    url = await _webhook(tenant, enabled=False)
    problem(await client.post(url, content=DEEP, headers=JSON), 404)
    assert await count(app, "executions") == 0


@pytest.mark.parametrize(
    ("raw", "status", "field"),
    [
        (DEEP, 422, None),
        (b'{"a": [' * 70 + b"1" + b"]}" * 70, 422, None),
        (b'{"ref": "a\\u0000b"}', 422, "ref"),
        (b'{"ref": "bad \\ud800 text"}', 422, "ref"),
        (b'{"commits": NaN}', 400, None),
        (b'{"commits": Infinity}', 400, None),
        (b'{"commits": 1e999}', 422, "commits"),
        (b'"\\u0000"', 422, "body"),
        (b"{not json", 400, None),
    ],
    ids=lambda v: repr(v[:16]) if isinstance(v, bytes) else str(v),
)
@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
async def test_a_known_webhook_refuses_bad_json_and_starts_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: TenantContext,
    raw: bytes,
    status: int,
    field: str | None,
    content_type: str,
) -> None:
    url = await _webhook(tenant)
    problem(await client.post(url, content=raw, headers={"content-type": content_type}), status, field)
    assert await count(app, "executions") == 0


async def test_a_known_webhook_still_accepts_good_json(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    url = await _webhook(tenant)
    accepted = await client.post(url, json={"ref": "main", "nested": [[["ok"]]], "n": 1.5})
    assert accepted.status_code == 202, accepted.text
    empty = await client.post(url)
    assert empty.status_code == 202, empty.text
    assert await count(app, "executions") == 2
