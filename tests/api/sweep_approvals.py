"""Sweep registry entries for the ITSM approval routes, and the helpers the approval tests share.

Helpers create definitions and instances through the public API; `signed_in` mints an access token for a
password-less user so tests with many approvers skip password hashing.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from tenantplane.identity.security import issue_token
from tests.api.conftest import Actor, TenantContext
from tests.api.sweeps import BodyFor, Call, Factory, Ids, Setup

DEFINITIONS = "/api/workflows/definitions"
INSTANCES = "/api/workflows/instances"
RECORD_TYPE = "test.record"


async def signed_in(t: TenantContext, app: FastAPI, roles: list[str] | None = None, **extra: object) -> Actor:
    """A new user of tenant `t` with a bearer token (no password, no sign-in round trip)."""
    email = f"a{uuid.uuid4().hex[:10]}@example.com"
    body = {"email": email, "display_name": f"Approver {email[:6]}", "roles": roles or [], **extra}
    response = await t.client.post("/api/users", json=body, headers=t.admin.headers)
    assert response.status_code == 201, response.text
    user_id = response.json()["id"]
    token = issue_token(
        app.state.settings.resolved_secret_key,
        kind="access",
        subject=uuid.UUID(user_id),
        tenant_id=uuid.UUID(t.id),
        generation=0,
        ttl_seconds=900,
    )
    return Actor(id=user_id, email=email, token=token, tenant=t)


async def several(t: TenantContext, app: FastAPI, count: int, roles: list[str] | None = None) -> list[Actor]:
    return [await signed_in(t, app, roles) for _ in range(count)]


def step(name: str, order: int, approver_type: str, value: str | None = None, **options: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "order": order, "approver_type": approver_type, **options}
    if value is not None:
        body["approver_value"] = value
    return body


async def create_definition(
    t: TenantContext, *steps: dict[str, Any], name: str | None = None, **extra: Any
) -> dict[str, Any]:
    body = {"name": name or f"ladder-{uuid.uuid4().hex[:8]}", "steps": list(steps), **extra}
    response = await t.client.post(DEFINITIONS, json=body, headers=t.admin.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def start_instance(
    requester: Actor, definition_id: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    body = {
        "definition_id": definition_id,
        "record_type": RECORD_TYPE,
        "record_id": str(uuid.uuid4()),
        "variables": variables or {},
    }
    response = await requester.tenant.client.post(INSTANCES, json=body, headers=requester.headers)
    assert response.status_code == 201, response.text
    started: dict[str, Any] = response.json()
    return started


async def decide(actor: Actor, instance_id: str, verb: str = "approve", **body: Any) -> httpx.Response:
    return await actor.tenant.client.post(f"{INSTANCES}/{instance_id}/{verb}", json=body, headers=actor.headers)


# --- sweep registry --------------------------------------------------------------------------------------


async def _definition_id(t: TenantContext, c: httpx.AsyncClient) -> str:
    return str((await create_definition(t, step("cab", 1, "role", "cab")))["id"])


async def _instance_id(t: TenantContext, c: httpx.AsyncClient) -> str:
    definition = await create_definition(t, step("cab", 1, "role", "cab"))
    return str((await start_instance(t.admin, definition["id"]))["id"])


def _ladder_body(ids: dict[str, str]) -> dict[str, Any]:
    return {"name": f"ladder-{uuid.uuid4().hex[:8]}", "steps": [step("anyone", 1, "any")]}


FACTORIES: dict[str, Factory] = {"definition_id": _definition_id, "instance_id": _instance_id}
BODIES: dict[tuple[str, str], BodyFor] = {
    ("put", DEFINITIONS + "/{definition_id}"): _ladder_body,
    ("post", INSTANCES + "/{instance_id}/reject"): lambda ids: {"comment": "not like this"},
}


async def _nothing(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {}


async def _a_definition(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {"definition": await _definition_id(t, c)}


async def _my_pending_instance(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {"instance": await _instance_id(t, c)}


async def _awaiting_the_admin(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    """An instance requested by someone else whose one step the tenant admin decides."""
    definition = await create_definition(t, step("admin", 1, "user", t.admin.id))
    requester = await t.user()
    return {"instance": str((await start_instance(requester, definition["id"]))["id"])}


def _post(path: str, body: dict[str, Any] | None = None) -> Call:
    async def call(c: httpx.AsyncClient, t: TenantContext, ids: Ids) -> httpx.Response:
        url = path.format(**ids)
        return await c.post(url, json=body if body is not None else {}, headers=t.admin.headers)

    return call


async def _create(c: httpx.AsyncClient, t: TenantContext, ids: Ids) -> httpx.Response:
    return await c.post(DEFINITIONS, json=_ladder_body(ids), headers=t.admin.headers)


async def _replace(c: httpx.AsyncClient, t: TenantContext, ids: Ids) -> httpx.Response:
    return await c.put(f"{DEFINITIONS}/{ids['definition']}", json=_ladder_body(ids), headers=t.admin.headers)


async def _archive(c: httpx.AsyncClient, t: TenantContext, ids: Ids) -> httpx.Response:
    return await c.delete(f"{DEFINITIONS}/{ids['definition']}", headers=t.admin.headers)


async def _start(c: httpx.AsyncClient, t: TenantContext, ids: Ids) -> httpx.Response:
    body = {"definition_id": ids["definition"], "record_type": RECORD_TYPE, "record_id": str(uuid.uuid4())}
    return await c.post(INSTANCES, json=body, headers=t.admin.headers)


ONE = INSTANCES + "/{instance}"
AUDIT_SCENARIOS: dict[tuple[str, str], tuple[Setup, Call]] = {
    ("post", DEFINITIONS): (_nothing, _create),
    ("put", DEFINITIONS + "/{definition_id}"): (_a_definition, _replace),
    ("delete", DEFINITIONS + "/{definition_id}"): (_a_definition, _archive),
    ("post", INSTANCES): (_a_definition, _start),
    ("post", INSTANCES + "/{instance_id}/approve"): (_awaiting_the_admin, _post(ONE + "/approve")),
    ("post", INSTANCES + "/{instance_id}/reject"): (_awaiting_the_admin, _post(ONE + "/reject", {"comment": "no"})),
    ("post", INSTANCES + "/{instance_id}/cancel"): (_my_pending_instance, _post(ONE + "/cancel")),
    ("post", INSTANCES + "/{instance_id}/refresh-approvers"): (_my_pending_instance, _post(ONE + "/refresh-approvers")),
}
NOT_MUTATIONS = {("post", DEFINITIONS + "/{definition_id}/preview"): "a dry run: reads the directory, stores nothing"}
