"""Tenant admins manage users, groups, memberships and roles; everyone may name a delegate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.api.conftest import TenantContext


async def test_create_user_returns_the_fixed_shape(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    manager = await tenant.member()
    response = await client.post(
        "/api/users",
        json={
            "email": "Jane.Doe@Example.com",
            "display_name": "Jane",
            "password": "s3cret-enough",
            "roles": ["cab", "fulfiller", "cab"],
            "manager_id": manager,
        },
        headers=tenant.admin.headers,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "jane.doe@example.com"
    assert body["roles"] == ["cab", "fulfiller"]
    assert body["manager_id"] == manager
    assert "password" not in body
    assert "password_hash" not in body


async def test_email_is_unique_per_tenant_not_globally(client: httpx.AsyncClient, make_tenant: object) -> None:
    a: TenantContext = await make_tenant()  # type: ignore[operator]
    b: TenantContext = await make_tenant()  # type: ignore[operator]
    body = {"email": "same@example.com", "display_name": "S"}
    assert (await client.post("/api/users", json=body, headers=a.admin.headers)).status_code == 201
    assert (await client.post("/api/users", json=body, headers=b.admin.headers)).status_code == 201
    dup = await client.post("/api/users", json={**body, "email": "SAME@example.com"}, headers=a.admin.headers)
    assert dup.status_code == 409
    assert dup.json()["errors"][0]["field"] == "email"


async def test_user_list_filters_and_paginates(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    for i in range(5):
        await client.post(
            "/api/users",
            json={"email": f"cab{i}@example.com", "display_name": f"Cab {i}", "roles": ["cab"]},
            headers=tenant.admin.headers,
        )
    await client.post(
        "/api/users", json={"email": "other@example.com", "display_name": "Other"}, headers=tenant.admin.headers
    )
    first = (await client.get("/api/users", params={"role": "cab", "limit": 3}, headers=tenant.admin.headers)).json()
    assert len(first["items"]) == 3
    assert first["next_cursor"]
    second = (
        await client.get(
            "/api/users",
            params={"role": "cab", "limit": 3, "cursor": first["next_cursor"]},
            headers=tenant.admin.headers,
        )
    ).json()
    emails = {u["email"] for u in first["items"] + second["items"]}
    assert emails == {f"cab{i}@example.com" for i in range(5)}
    assert second["next_cursor"] is None
    search = (await client.get("/api/users", params={"q": "oth"}, headers=tenant.admin.headers)).json()
    assert [u["email"] for u in search["items"]] == ["other@example.com"]
    wildcard = (await client.get("/api/users", params={"q": "%"}, headers=tenant.admin.headers)).json()
    assert wildcard["items"] == []


async def test_group_membership_lifecycle(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    group = (
        await client.post(
            "/api/groups", json={"name": "CAB", "description": "Change board"}, headers=tenant.admin.headers
        )
    ).json()
    user = await tenant.member()
    add = await client.post(f"/api/groups/{group['id']}/members", json={"user_id": user}, headers=tenant.admin.headers)
    assert add.status_code == 204
    again = await client.post(
        f"/api/groups/{group['id']}/members", json={"user_id": user}, headers=tenant.admin.headers
    )
    assert again.status_code == 409
    members = (await client.get(f"/api/groups/{group['id']}/members", headers=tenant.admin.headers)).json()
    assert [m["id"] for m in members["items"]] == [user]
    removed = await client.delete(f"/api/groups/{group['id']}/members/{user}", headers=tenant.admin.headers)
    assert removed.status_code == 204
    gone = await client.delete(f"/api/groups/{group['id']}/members/{user}", headers=tenant.admin.headers)
    assert gone.status_code == 422
    dup = await client.post("/api/groups", json={"name": "CAB"}, headers=tenant.admin.headers)
    assert dup.status_code == 409
    deleted = await client.delete(f"/api/groups/{group['id']}", headers=tenant.admin.headers)
    assert deleted.status_code == 204
    assert (await client.get(f"/api/groups/{group['id']}", headers=tenant.admin.headers)).status_code == 404


async def test_roles_list_built_ins_and_labels_in_use(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    await tenant.member(roles=["cab", "finance"])
    roles = (await client.get("/api/roles", headers=tenant.admin.headers)).json()["items"]
    by_name = {r["name"]: r for r in roles}
    assert by_name["admin"]["built_in"]
    assert by_name["admin"]["user_count"] == 1
    assert "catalog.manage" in by_name["service_owner"]["permissions"]
    assert by_name["cab"] == {"name": "cab", "built_in": False, "permissions": [], "user_count": 1}


async def test_anyone_may_name_a_delegate_but_not_themselves(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    me = await tenant.user()
    deputy = await tenant.member()
    until = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    set_ = await client.patch("/api/me", json={"delegate_id": deputy, "delegate_until": until}, headers=me.headers)
    assert set_.status_code == 200
    assert set_.json()["delegate_id"] == deputy
    self_ = await client.patch("/api/me", json={"delegate_id": me.id}, headers=me.headers)
    assert self_.status_code == 422
    roles = await client.patch("/api/me", json={"roles": ["admin"]}, headers=me.headers)
    assert roles.status_code == 422  # roles are not self-service
