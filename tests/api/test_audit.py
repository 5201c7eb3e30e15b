"""Every mutation writes exactly one audit event; the log is filtered, paginated and append-only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from tenantplane.audit.models import AuditEvent
from tests.api.conftest import TenantContext
from tests.api.sweeps import collect

SCENARIOS = collect("AUDIT_SCENARIOS")
NOT_MUTATIONS = collect("NOT_MUTATIONS")
CROSS_TENANT_PREFIXES = tuple(collect("CROSS_TENANT_PREFIXES"))


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
        if p.startswith("/api/") and not p.startswith(CROSS_TENANT_PREFIXES)
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
    assert bad.status_code == 400  # a cursor this API did not hand out


async def test_audit_events_cannot_be_changed_or_deleted(app: FastAPI, tenant: TenantContext) -> None:
    for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with app.state.db.transaction() as session:
                await session.execute(text(statement))
