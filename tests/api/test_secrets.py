"""Tenant secrets: stored encrypted, only names ever come back, names are environment-variable names."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from tenantplane.kit.crypto import decrypt
from tenantplane.secrets.models import Secret
from tenantplane.settings import Settings
from tests.api.conftest import TenantContext, TenantFactory
from tests.api.sweep_runbooks import create_runbook

VALUE = "correct-horse-battery-staple"


async def test_a_secret_is_created_listed_replaced_and_deleted_without_its_value_ever_coming_back(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext, settings: Settings
) -> None:
    headers = tenant.admin.headers
    created = await client.post("/api/secrets", json={"name": "DB_PASSWORD", "value": VALUE}, headers=headers)
    assert created.status_code == 201, created.text
    assert set(created.json()) == {"id", "name", "created_at", "updated_at"}
    secret_id = created.json()["id"]

    replaced = await client.put(f"/api/secrets/{secret_id}", json={"value": "v2-" + VALUE}, headers=headers)
    assert replaced.status_code == 200
    assert replaced.json()["updated_at"] > created.json()["updated_at"]
    listed = await client.get("/api/secrets", headers=headers)
    assert [s["name"] for s in listed.json()["items"]] == ["DB_PASSWORD"]
    one = await client.get(f"/api/secrets/{secret_id}", headers=headers)
    audit = await client.get("/api/audit", params={"object_type": "secret"}, headers=headers)
    assert [e["action"] for e in audit.json()["items"]] == ["secret.updated", "secret.created"]
    for response in (created, replaced, listed, one, audit):
        assert VALUE not in response.text

    async with app.state.db.transaction() as session:
        stored = await session.scalar(select(Secret).where(Secret.id == uuid.UUID(secret_id)))
    assert stored is not None
    assert VALUE not in stored.ciphertext
    assert decrypt(settings.resolved_secret_key, stored.ciphertext) == "v2-" + VALUE

    deleted = await client.delete(f"/api/secrets/{secret_id}", headers=headers)
    assert deleted.status_code == 204
    assert (await client.get(f"/api/secrets/{secret_id}", headers=headers)).status_code == 404


async def test_secret_names_are_unique_per_tenant_and_usable_as_environment_variables(
    client: httpx.AsyncClient, make_tenant: TenantFactory
) -> None:
    a, b = await make_tenant(), await make_tenant()
    first = await client.post("/api/secrets", json={"name": "API_TOKEN", "value": "x1x"}, headers=a.admin.headers)
    again = await client.post("/api/secrets", json={"name": "API_TOKEN", "value": "x2x"}, headers=a.admin.headers)
    other_tenant = await client.post("/api/secrets", json={"name": "API_TOKEN", "value": "x"}, headers=b.admin.headers)
    assert (first.status_code, again.status_code, other_tenant.status_code) == (201, 409, 201)
    assert again.json()["errors"][0]["field"] == "name"
    for bad in ("api_token", "1TOKEN", "MY-TOKEN", "PATH", "TP_OUTPUT", "LD_PRELOAD", ""):
        r = await client.post("/api/secrets", json={"name": bad, "value": "v"}, headers=a.admin.headers)
        assert r.status_code == 422, bad
        assert r.json()["errors"][0]["field"] == "name"


async def test_a_secret_a_runbook_needs_cannot_be_deleted(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    created = await client.post("/api/secrets", json={"name": "NEEDED", "value": "v4lue"}, headers=tenant.admin.headers)
    runbook = await create_runbook(tenant, client, name="uses-it", secrets=["NEEDED"])
    refused = await client.delete(f"/api/secrets/{created.json()['id']}", headers=tenant.admin.headers)
    assert refused.status_code == 409
    assert "uses-it" in refused.json()["detail"]
    assert refused.json()["used_by"] == [{"type": "runbook", "id": runbook["id"], "name": "uses-it"}]
    await client.delete(f"/api/runbooks/{runbook['id']}", headers=tenant.admin.headers)
    allowed = await client.delete(f"/api/secrets/{created.json()['id']}", headers=tenant.admin.headers)
    assert allowed.status_code == 204


async def test_only_automation_engineers_and_admins_manage_secrets(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    requester = await tenant.user()
    fulfiller = await tenant.user(["fulfiller"])
    engineer = await tenant.user(["automation_engineer"])
    body = {"name": "ROLE_CHECK", "value": "v4lue"}
    for actor in (requester, fulfiller):
        assert (await client.get("/api/secrets", headers=actor.headers)).status_code == 403
        assert (await client.post("/api/secrets", json=body, headers=actor.headers)).status_code == 403
    assert (await client.post("/api/secrets", json=body, headers=engineer.headers)).status_code == 201
