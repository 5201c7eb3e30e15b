"""Sweep registry entries for workflow triggers and the inbound webhook, and helpers the trigger tests share."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.conftest import TenantContext
from tests.api.sweep_automation import WORKFLOWS, workflow_id
from tests.api.sweeps import BodyFor, Call, Factory, Ids, Setup

TRIGGERS = WORKFLOWS + "/{workflow_id}/triggers"
HOOKS = "/api/hooks/{token}"
SCHEDULE = {"cron": "*/5 * * * *", "timezone": "Europe/Berlin"}


async def create_trigger(t: TenantContext, workflow: str, kind: str, **config: Any) -> dict[str, Any]:
    response = await t.client.post(
        f"{WORKFLOWS}/{workflow}/triggers", json={"kind": kind, "config": config}, headers=t.admin.headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def trigger_id(t: TenantContext, c: httpx.AsyncClient) -> str:
    return str((await create_trigger(t, await workflow_id(t, c), "schedule", **SCHEDULE))["id"])


async def _workflow(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {"workflow": await workflow_id(t, c)}


async def _trigger(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    workflow = await workflow_id(t, c)
    return {"workflow": workflow, "trigger": str((await create_trigger(t, workflow, "webhook"))["id"])}


def _call(method: str, path: str, body: dict[str, Any] | None = None) -> Call:
    async def call(c: httpx.AsyncClient, t: TenantContext, ids: Ids) -> httpx.Response:
        return await c.request(method, path.format(**ids), json=body, headers=t.admin.headers)

    return call


FACTORIES: dict[str, Factory] = {"trigger_id": trigger_id}
BODIES: dict[tuple[str, str], BodyFor] = {
    ("post", TRIGGERS): lambda ids: {"kind": "schedule", "config": SCHEDULE},
    ("patch", TRIGGERS + "/{trigger_id}"): lambda ids: {"enabled": False},
}
PUBLIC = {("post", HOOKS): "inbound webhook, authenticated by its secret token"}
CROSS_TENANT_PREFIXES = {"/api/hooks/": "inbound webhook: its secret token alone names the trigger, no tenant login"}
AUDIT_SCENARIOS: dict[tuple[str, str], tuple[Setup, Call]] = {
    ("post", TRIGGERS): (_workflow, _call("POST", WORKFLOWS + "/{workflow}/triggers", {"kind": "webhook"})),
    ("delete", TRIGGERS + "/{trigger_id}"): (_trigger, _call("DELETE", WORKFLOWS + "/{workflow}/triggers/{trigger}")),
    ("patch", TRIGGERS + "/{trigger_id}"): (
        _trigger,
        _call("PATCH", WORKFLOWS + "/{workflow}/triggers/{trigger}", {"enabled": False}),
    ),
}
