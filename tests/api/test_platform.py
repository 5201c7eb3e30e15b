"""Platform administrators manage tenants and belong to none; their actions are audited."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from tenantplane.audit.models import AuditEvent
from tenantplane.identity.service import create_platform_admin


async def _platform_token(app: FastAPI, client: httpx.AsyncClient) -> dict[str, str]:
    async with app.state.db.transaction() as session:
        await create_platform_admin(session, email="root@platform.example.com", password="platform-pass")
    response = await client.post(
        "/api/auth/token", json={"email": "root@platform.example.com", "password": "platform-pass"}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_platform_admin_creates_lists_and_disables_tenants(app: FastAPI, client: httpx.AsyncClient) -> None:
    headers = await _platform_token(app, client)
    created = await client.post("/api/platform/tenants", json={"slug": "acme", "name": "ACME"}, headers=headers)
    assert created.status_code == 201
    tenant_id = created.json()["id"]
    dup = await client.post("/api/platform/tenants", json={"slug": "acme", "name": "Again"}, headers=headers)
    assert dup.status_code == 409
    listed = await client.get("/api/platform/tenants", headers=headers)
    assert [t["slug"] for t in listed.json()["items"]] == ["acme"]
    disabled = await client.patch(f"/api/platform/tenants/{tenant_id}", json={"is_active": False}, headers=headers)
    assert disabled.json()["is_active"] is False
    assert (await client.get(f"/api/platform/tenants/{tenant_id}", headers=headers)).status_code == 200


async def test_platform_mutations_are_audited_once(app: FastAPI, client: httpx.AsyncClient) -> None:
    headers = await _platform_token(app, client)

    async def count() -> int:
        async with app.state.db.transaction() as session:
            return int(await session.scalar(select(func.count()).select_from(AuditEvent)) or 0)

    before = await count()
    created = await client.post("/api/platform/tenants", json={"slug": "beta", "name": "Beta"}, headers=headers)
    assert await count() - before == 1
    before = await count()
    await client.patch(f"/api/platform/tenants/{created.json()['id']}", json={"name": "Beta 2"}, headers=headers)
    assert await count() - before == 1


async def test_platform_admin_has_no_tenant_routes(app: FastAPI, client: httpx.AsyncClient) -> None:
    headers = await _platform_token(app, client)
    assert (await client.get("/api/users", headers=headers)).status_code == 403
    assert (await client.get("/api/me", headers=headers)).status_code == 403


async def test_users_of_a_disabled_tenant_are_signed_out(
    app: FastAPI, client: httpx.AsyncClient, tenant: object
) -> None:
    from tests.api.conftest import TenantContext

    assert isinstance(tenant, TenantContext)
    headers = await _platform_token(app, client)
    await client.patch(f"/api/platform/tenants/{tenant.id}", json={"is_active": False}, headers=headers)
    assert (await client.get("/api/me", headers=tenant.admin.headers)).status_code == 401
