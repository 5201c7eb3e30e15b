"""Every mutation writes exactly one audit event; the log is filtered, paginated and append-only."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from tenantplane.audit.models import AuditEvent
from tests.api.conftest import PASSWORD, TenantContext

Ids = dict[str, str]
Setup = Callable[[httpx.AsyncClient, TenantContext], Awaitable[Ids]]
Call = Callable[[httpx.AsyncClient, TenantContext, Ids], Awaitable[httpx.Response]]


async def _nothing(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {}


async def _group(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    r = await c.post("/api/groups", json={"name": uuid.uuid4().hex}, headers=t.admin.headers)
    return {"group": r.json()["id"], "user": await t.member()}


async def _membership(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    ids = await _group(c, t)
    await c.post(f"/api/groups/{ids['group']}/members", json={"user_id": ids["user"]}, headers=t.admin.headers)
    return ids


async def _token(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    r = await c.post("/api/auth/api-tokens", json={"name": "x"}, headers=t.admin.headers)
    return {"token": r.json()["id"]}


async def _user(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {"user": await t.member()}


def _login(path: str) -> Call:
    def call(c: httpx.AsyncClient, t: TenantContext, ids: Ids) -> Awaitable[httpx.Response]:
        return c.post(path, json={"tenant": t.slug, "email": t.admin.email, "password": PASSWORD})

    return call


# One successful call per mutating route (method, OpenAPI path): a set-up, then the call under test.
SCENARIOS: dict[tuple[str, str], tuple[Setup, Call]] = {
    ("post", "/api/auth/token"): (_nothing, _login("/api/auth/token")),
    ("post", "/api/auth/session"): (_nothing, _login("/api/auth/session")),
    ("patch", "/api/me"): (
        _nothing,
        lambda c, t, i: c.patch("/api/me", json={"display_name": "Me"}, headers=t.admin.headers),
    ),
    ("post", "/api/auth/api-tokens"): (
        _nothing,
        lambda c, t, i: c.post("/api/auth/api-tokens", json={"name": "t"}, headers=t.admin.headers),
    ),
    ("delete", "/api/auth/api-tokens/{token_id}"): (
        _token,
        lambda c, t, i: c.delete(f"/api/auth/api-tokens/{i['token']}", headers=t.admin.headers),
    ),
    ("post", "/api/users"): (
        _nothing,
        lambda c, t, i: c.post(
            "/api/users", json={"email": "new@example.com", "display_name": "N"}, headers=t.admin.headers
        ),
    ),
    ("patch", "/api/users/{user_id}"): (
        _user,
        lambda c, t, i: c.patch(f"/api/users/{i['user']}", json={"roles": ["cab"]}, headers=t.admin.headers),
    ),
    ("post", "/api/groups"): (
        _nothing,
        lambda c, t, i: c.post("/api/groups", json={"name": "new"}, headers=t.admin.headers),
    ),
    ("patch", "/api/groups/{group_id}"): (
        _group,
        lambda c, t, i: c.patch(f"/api/groups/{i['group']}", json={"description": "d"}, headers=t.admin.headers),
    ),
    ("delete", "/api/groups/{group_id}"): (
        _group,
        lambda c, t, i: c.delete(f"/api/groups/{i['group']}", headers=t.admin.headers),
    ),
    ("post", "/api/groups/{group_id}/members"): (
        _group,
        lambda c, t, i: c.post(
            f"/api/groups/{i['group']}/members", json={"user_id": i["user"]}, headers=t.admin.headers
        ),
    ),
    ("delete", "/api/groups/{group_id}/members/{user_id}"): (
        _membership,
        lambda c, t, i: c.delete(f"/api/groups/{i['group']}/members/{i['user']}", headers=t.admin.headers),
    ),
}
# Mutating routes that change no stored state, and why.
NOT_MUTATIONS = {("delete", "/api/auth/session"): "sign-out only clears the browser's cookies"}
# Platform routes are swept in test_platform.py with a platform administrator.
PLATFORM_PREFIX = "/api/platform/"


async def _count(app: FastAPI) -> int:
    async with app.state.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


async def test_every_mutation_writes_exactly_one_audit_event(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    spec = (await client.get("/openapi.json")).json()
    mutating = [
        (m, p)
        for p, item in spec["paths"].items()
        if p.startswith("/api/") and not p.startswith(PLATFORM_PREFIX)
        for m in item
        if m in {"post", "put", "patch", "delete"} and (m, p) not in NOT_MUTATIONS
    ]
    failures = []
    for method, path in mutating:
        scenario = SCENARIOS.get((method, path))
        if scenario is None:
            failures.append(f"{method.upper()} {path}: no audit scenario")
            continue
        setup, call = scenario
        ids = await setup(client, tenant)
        before = await _count(app)
        response = await call(client, tenant, ids)
        written = await _count(app) - before
        if response.status_code >= 300:
            failures.append(f"{method.upper()} {path}: scenario failed {response.status_code} {response.text[:100]}")
        elif written != 1:
            failures.append(f"{method.upper()} {path}: wrote {written} events")
    assert failures == []


async def test_single_mutation_writes_one_event_with_actor_request_id_and_no_secret(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    before = await _count(app)
    response = await client.post(
        "/api/users",
        json={"email": "audited@example.com", "display_name": "A", "password": "a-secret-password"},
        headers={**tenant.admin.headers, "X-Request-ID": "req-audit-1"},
    )
    assert response.status_code == 201
    assert await _count(app) - before == 1
    events = await client.get("/api/audit", params={"action": "user.created"}, headers=tenant.admin.headers)
    event = next(e for e in events.json()["items"] if e["object_id"] == response.json()["id"])
    assert event["actor_id"] == tenant.admin.id
    assert event["request_id"] == "req-audit-1"
    assert event["summary"]["email"] == "audited@example.com"
    assert "a-secret-password" not in str(event)


async def test_failed_mutation_writes_no_event(app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext) -> None:
    before = await _count(app)
    response = await client.post(
        "/api/users", json={"email": tenant.admin.email, "display_name": "Dup"}, headers=tenant.admin.headers
    )
    assert response.status_code == 409
    assert await _count(app) == before


async def test_audit_log_is_paginated_and_scoped_to_the_tenant(client: httpx.AsyncClient, make_tenant: Any) -> None:
    a: TenantContext = await make_tenant()
    b: TenantContext = await make_tenant()
    for i in range(5):
        await client.post("/api/groups", json={"name": f"g{i}"}, headers=a.admin.headers)
    await client.post("/api/groups", json={"name": "b-only"}, headers=b.admin.headers)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "action": "group.created"}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/audit", params=params, headers=a.admin.headers)).json()
        seen += [e["summary"]["name"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["g4", "g3", "g2", "g1", "g0"]
    bad = await client.get("/api/audit", params={"cursor": "garbage!"}, headers=a.admin.headers)
    assert bad.status_code == 422


async def test_audit_events_cannot_be_changed_or_deleted(app: FastAPI, tenant: TenantContext) -> None:
    for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with app.state.db.transaction() as session:
                await session.execute(text(statement))
