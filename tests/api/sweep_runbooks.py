"""Sweep registry entries for the runbook, secret and execution routes (see tests/api/sweeps.py).

Also the small factories the runbook tests share: a secret, a runbook, a queued execution.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx

from tests.api.conftest import Actor, TenantContext
from tests.api.sweeps import BodyFor, Call, Factory, Ids, Setup

FINISHED = frozenset({"succeeded", "failed", "rejected", "cancelled", "timed_out"})


async def wait_for_execution(
    c: httpx.AsyncClient, actor: Actor, execution_id: str, *, until: frozenset[str] = FINISHED, timeout: float = 20
) -> dict[str, Any]:
    """Polls GET /api/executions/{id} until its status is one of `until`; returns that answer."""
    deadline = time.monotonic() + timeout
    while True:
        r = await c.get(f"/api/executions/{execution_id}", headers=actor.headers)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        if body["status"] in until:
            return body
        assert time.monotonic() < deadline, f"execution still {body['status']} after {timeout}s: {body}"
        await asyncio.sleep(0.05)


async def execute(c: httpx.AsyncClient, actor: Actor, runbook: str, parameters: dict[str, Any] | None = None) -> str:
    r = await c.post(f"/api/runbooks/{runbook}/execute", json={"parameters": parameters or {}}, headers=actor.headers)
    assert r.status_code == 202, r.text
    return str(r.json()["id"])


def runbook_body(name: str | None = None, **extra: Any) -> dict[str, Any]:
    """A valid runbook: one shell action that echoes, unless `actions` says otherwise."""
    body: dict[str, Any] = {
        "name": name or f"rb-{uuid.uuid4().hex[:8]}",
        "actions": [{"name": "hello", "type": "shell", "script": "echo hello"}],
    }
    return {**body, **extra}


async def create_runbook(t: TenantContext, c: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    r = await c.post("/api/runbooks", json=runbook_body(**extra), headers=t.admin.headers)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


async def create_secret(t: TenantContext, c: httpx.AsyncClient, name: str | None = None, value: str = "s3cr3t") -> str:
    name = name or f"SWEEP_{uuid.uuid4().hex[:8].upper()}"
    r = await c.post("/api/secrets", json={"name": name, "value": value}, headers=t.admin.headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def runbook_id(t: TenantContext, c: httpx.AsyncClient) -> str:
    return str((await create_runbook(t, c))["id"])


async def queued_execution_id(t: TenantContext, c: httpx.AsyncClient) -> str:
    """An execution waiting for a worker (no worker runs in the sweeps)."""
    r = await c.post(f"/api/runbooks/{await runbook_id(t, c)}/execute", json={}, headers=t.admin.headers)
    assert r.status_code == 202, r.text
    return str(r.json()["id"])


async def secret_id(t: TenantContext, c: httpx.AsyncClient) -> str:
    return await create_secret(t, c)


async def first_version(t: TenantContext, c: httpx.AsyncClient) -> str:
    return "1"


FACTORIES: dict[str, Factory] = {
    "runbook_id": runbook_id,
    "execution_id": queued_execution_id,
    "secret_id": secret_id,
    "version": first_version,
}
BODIES: dict[tuple[str, str], BodyFor] = {
    ("put", "/api/runbooks/{runbook_id}"): lambda ids: runbook_body(),
    ("post", "/api/runbooks/{runbook_id}/execute"): lambda ids: {"parameters": {}},
    ("put", "/api/secrets/{secret_id}"): lambda ids: {"value": "another value"},
}


async def _nothing(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {}


async def _runbook(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {"runbook": await runbook_id(t, c)}


async def _secret(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {"secret": await secret_id(t, c)}


async def _execution(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {"execution": await queued_execution_id(t, c)}


def _call(method: str, path: str, body: dict[str, Any] | None = None) -> Call:
    async def call(c: httpx.AsyncClient, t: TenantContext, ids: Ids) -> httpx.Response:
        return await c.request(method, path.format(**ids), json=body, headers=t.admin.headers)

    return call


AUDIT_SCENARIOS: dict[tuple[str, str], tuple[Setup, Call]] = {
    ("post", "/api/secrets"): (
        _nothing,
        _call("POST", "/api/secrets", {"name": f"AUDIT_{uuid.uuid4().hex[:6].upper()}", "value": "v4lue"}),
    ),
    ("put", "/api/secrets/{secret_id}"): (_secret, _call("PUT", "/api/secrets/{secret}", {"value": "new value"})),
    ("delete", "/api/secrets/{secret_id}"): (_secret, _call("DELETE", "/api/secrets/{secret}")),
    ("post", "/api/runbooks"): (_nothing, _call("POST", "/api/runbooks", runbook_body())),
    ("put", "/api/runbooks/{runbook_id}"): (_runbook, _call("PUT", "/api/runbooks/{runbook}", runbook_body())),
    ("delete", "/api/runbooks/{runbook_id}"): (_runbook, _call("DELETE", "/api/runbooks/{runbook}")),
    ("post", "/api/runbooks/{runbook_id}/execute"): (
        _runbook,
        _call("POST", "/api/runbooks/{runbook}/execute", {"parameters": {}}),
    ),
    ("post", "/api/executions/{execution_id}/cancel"): (
        _execution,
        _call("POST", "/api/executions/{execution}/cancel"),
    ),
}
