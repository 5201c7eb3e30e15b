"""A tenant keeps an active admin whoever tries to remove the last one, and an admin can unlock an account.

Concurrency is tested both through HTTP (two self-demotions at once) and with one transaction held open.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from tenantplane.identity import repository as repo
from tenantplane.identity import service
from tenantplane.identity.admins import LastAdmin
from tenantplane.identity.auth import Principal
from tenantplane.identity.schemas import UserUpdate
from tenantplane.settings import Settings
from tests.api.conftest import PASSWORD, Actor, TenantContext


def _assert_last_admin(response: httpx.Response, field: str) -> None:
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["type"].endswith("/last-admin")
    assert "last active admin" in body["detail"]
    assert body["errors"][0]["field"] == field


async def _roles(client: httpx.AsyncClient, tenant: TenantContext, user_id: str) -> tuple[list[str], bool]:
    body = (await client.get(f"/api/users/{user_id}", headers=tenant.admin.headers)).json()
    return body["roles"], body["is_active"]


async def test_the_last_admin_cannot_remove_their_own_admin_role(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    refused = await client.patch(f"/api/users/{tenant.admin.id}", json={"roles": ["cab"]}, headers=tenant.admin.headers)
    _assert_last_admin(refused, "roles")
    assert await _roles(client, tenant, tenant.admin.id) == (["admin"], True)


async def test_the_last_admin_cannot_disable_themselves(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    refused = await client.patch(
        f"/api/users/{tenant.admin.id}", json={"is_active": False}, headers=tenant.admin.headers
    )
    _assert_last_admin(refused, "is_active")
    assert (await client.get("/api/me", headers=tenant.admin.headers)).status_code == 200


async def test_the_own_profile_cannot_change_roles_at_all(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    response = await client.patch("/api/me", json={"roles": []}, headers=tenant.admin.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "roles"


async def test_an_admin_may_demote_another_while_one_stays_and_disabled_admins_do_not_count(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    second = await tenant.user(roles=["admin"])
    member = await tenant.member(roles=["cab"])
    demoted = await client.patch(f"/api/users/{tenant.admin.id}", json={"is_active": False}, headers=second.headers)
    assert demoted.status_code == 200, demoted.text
    # The first admin still holds the role but is disabled: the second is the last *active* admin.
    _assert_last_admin(
        await client.patch(f"/api/users/{second.id}", json={"roles": []}, headers=second.headers), "roles"
    )
    _assert_last_admin(
        await client.patch(f"/api/users/{second.id}", json={"is_active": False}, headers=second.headers), "is_active"
    )
    # A non-admin change of the last admin (and a change of a non-admin) still goes through.
    renamed = await client.patch(
        f"/api/users/{second.id}", json={"display_name": "Still admin"}, headers=second.headers
    )
    assert renamed.status_code == 200
    assert (
        await client.patch(f"/api/users/{member}", json={"roles": [], "is_active": False}, headers=second.headers)
    ).status_code == 200


async def test_two_admins_demoting_themselves_at_once_leave_exactly_one(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    survivor: Actor = tenant.admin
    for _ in range(3):
        tenant.admin = survivor  # the one who creates the next pair
        first, second = await tenant.user(roles=["admin"]), await tenant.user(roles=["admin"])
        stepped_down = await client.patch(f"/api/users/{survivor.id}", json={"roles": []}, headers=survivor.headers)
        assert stepped_down.status_code == 200, stepped_down.text
        answers = await asyncio.gather(
            *(client.patch(f"/api/users/{a.id}", json={"roles": ["cab"]}, headers=a.headers) for a in (first, second))
        )
        assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
        survivor = first if answers[0].status_code == 409 else second
        listed = await client.get("/api/users", params={"role": "admin", "active": True}, headers=survivor.headers)
        assert [u["id"] for u in listed.json()["items"]] == [survivor.id]


def _principal(tenant: TenantContext) -> Principal:
    return Principal(
        kind="user",
        id=uuid.UUID(tenant.admin.id),
        label=tenant.admin.email,
        tenant_id=uuid.UUID(tenant.id),
        roles=frozenset({"admin"}),
        via="test",
    )


async def test_a_demotion_waits_for_a_concurrent_one_and_then_is_refused(app: FastAPI, tenant: TenantContext) -> None:
    second = await tenant.user(roles=["admin"])
    holding, release = asyncio.Event(), asyncio.Event()

    async def demote(user_id: str, *, hold: bool) -> None:
        async with app.state.db.transaction() as session:
            user = await repo.get_user(session, uuid.UUID(tenant.id), uuid.UUID(user_id))
            await service.update_user(session, actor=_principal(tenant), user=user, data=UserUpdate(roles=[]))
            if hold:
                holding.set()
                await release.wait()

    first = asyncio.create_task(demote(tenant.admin.id, hold=True))
    await holding.wait()
    other = asyncio.create_task(demote(second.id, hold=False))
    try:
        await asyncio.sleep(0.5)
        waited = not other.done()
    finally:
        release.set()  # never leave the first transaction (and its locks) open, even when failing
        await first
    assert waited, "the second demotion did not wait for the first one's lock"
    with pytest.raises(LastAdmin):
        await other


@asynccontextmanager
async def _client_at(app: FastAPI, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def test_an_admin_unlocks_a_locked_out_user_and_it_is_audited(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext, settings: Settings
) -> None:
    user = await tenant.user()
    login = {"tenant": tenant.slug, "email": user.email, "password": "not-the-password"}
    async with _client_at(app, "127.0.0.2") as there:
        for _ in range(settings.login_max_failures):
            assert (await there.post("/api/auth/token", json=login)).status_code == 401
        assert (await there.post("/api/auth/token", json={**login, "password": PASSWORD})).status_code == 429
        unlocked = await client.post(f"/api/users/{user.id}/unlock", headers=tenant.admin.headers)
        assert unlocked.status_code == 204
        assert (await there.post("/api/auth/token", json={**login, "password": PASSWORD})).status_code == 200
    events = await client.get(
        "/api/audit", params={"action": "user.unlocked", "object_id": user.id}, headers=tenant.admin.headers
    )
    [event] = events.json()["items"]
    assert event["actor_id"] == tenant.admin.id
    assert event["summary"] == {"email": user.email, "locked_addresses": 1}


async def test_unlocking_needs_users_manage_and_a_user_of_the_tenant(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    fulfiller = await tenant.user(roles=["fulfiller"])
    forbidden = await client.post(f"/api/users/{tenant.admin.id}/unlock", headers=fulfiller.headers)
    assert forbidden.status_code == 403
    missing = await client.post(f"/api/users/{uuid.uuid4()}/unlock", headers=tenant.admin.headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
