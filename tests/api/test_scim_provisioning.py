"""SCIM 2.0 through scim2-client against our app: create, filter, PATCH, deactivate, groups, tenant isolation."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from scim2_models import EnterpriseUser, PatchOp, PatchOperation, SearchRequest

from tests.api.conftest import PASSWORD, TenantContext, TenantFactory
from tests.api.scim_helpers import SCIM_JSON, scim_client, scim_token

pytestmark = pytest.mark.asyncio


async def test_a_directory_creates_finds_patches_and_deactivates_a_user(app: FastAPI, tenant: TenantContext) -> None:
    scim = await scim_client(app, await scim_token(tenant))
    UserModel = scim.provider.model_for("User")
    boss = await scim.create(UserModel(user_name="boss@example.com", display_name="The Boss", external_id="okta-1"))
    created = UserModel(user_name="Ada@Example.com", display_name="Ada", external_id="okta-2", active=True)
    enterprise = scim.provider.model_for(str(EnterpriseUser.__schema__))
    created[enterprise] = enterprise(manager={"value": boss.id})
    ada = await scim.create(created)
    assert ada.user_name == "ada@example.com"
    assert ada[enterprise].manager.value == boss.id

    found = await scim.query(UserModel, query_parameters=SearchRequest(filter='userName eq "ADA@example.com"'))
    assert found.total_results == 1
    assert found.resources[0].id == ada.id
    by_external = await scim.query(UserModel, query_parameters=SearchRequest(filter='externalId eq "okta-1"'))
    assert [u.id for u in by_external.resources] == [boss.id]
    page = await scim.query(UserModel, query_parameters=SearchRequest(start_index=2, count=1))
    assert page.total_results == 3
    assert page.start_index == 2
    assert len(page.resources) == 1

    # Our API sees the manager and that the directory keeps the user.
    read = await tenant.client.get(f"/api/users/{ada.id}", headers=tenant.admin.headers)
    assert read.json()["manager_id"] == boss.id
    assert read.json()["managed_by"] == "scim"

    patch = PatchOp[UserModel](operations=[PatchOperation(op="replace", path="displayName", value="Ada L.")])
    patched = await scim.modify(UserModel, ada.id, patch)
    assert patched.display_name == "Ada L."

    # A password set by an admin lets the user sign in (the IdP would do that through SSO); deactivating kills it.
    roles = await tenant.client.patch(f"/api/users/{ada.id}", json={"roles": ["cab"]}, headers=tenant.admin.headers)
    assert roles.status_code == 200, roles.text
    async with tenant.database.transaction() as session:
        from tenantplane.identity.models import User as UserRow
        from tenantplane.identity.security import hash_password

        row = await session.get(UserRow, __import__("uuid").UUID(ada.id))
        assert row is not None
        row.password_hash = hash_password(PASSWORD)
    token = await tenant.login("ada@example.com")
    assert (await tenant.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})).status_code == 200

    off = PatchOp[UserModel](operations=[PatchOperation(op="replace", value={"active": False})])
    deactivated = await scim.modify(UserModel, ada.id, off)
    assert deactivated.active is False
    assert (await tenant.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401


async def test_hand_edits_of_a_directory_user_are_refused_but_roles(app: FastAPI, tenant: TenantContext) -> None:
    scim = await scim_client(app, await scim_token(tenant))
    UserModel = scim.provider.model_for("User")
    ada = await scim.create(UserModel(user_name="ada@example.com", display_name="Ada"))
    refused = await tenant.client.patch(
        f"/api/users/{ada.id}", json={"display_name": "Not Ada"}, headers=tenant.admin.headers
    )
    assert refused.status_code == 409
    assert [e["field"] for e in refused.json()["errors"]] == ["display_name"]
    allowed = await tenant.client.patch(f"/api/users/{ada.id}", json={"roles": ["cab"]}, headers=tenant.admin.headers)
    assert allowed.status_code == 200
    assert allowed.json()["roles"] == ["cab"]


async def test_group_membership_follows_the_directory(app: FastAPI, tenant: TenantContext) -> None:
    scim = await scim_client(app, await scim_token(tenant))
    UserModel, GroupModel = scim.provider.model_for("User"), scim.provider.model_for("Group")
    ada = await scim.create(UserModel(user_name="ada@example.com"))
    bob = await scim.create(UserModel(user_name="bob@example.com"))
    group = await scim.create(GroupModel(display_name="CAB", external_id="g-1", members=[{"value": ada.id}]))
    add = PatchOp[GroupModel](operations=[PatchOperation(op="add", path="members", value=[{"value": bob.id}])])
    await scim.modify(GroupModel, group.id, add)
    remove = PatchOp[GroupModel](operations=[PatchOperation(op="remove", path=f'members[value eq "{ada.id}"]')])
    after = await scim.modify(GroupModel, group.id, remove)
    assert [m.value for m in after.members] == [bob.id]

    members = await tenant.client.get(f"/api/groups/{group.id}/members", headers=tenant.admin.headers)
    assert [u["id"] for u in members.json()["items"]] == [bob.id]
    found = await scim.query(GroupModel, query_parameters=SearchRequest(filter='displayName eq "cab"'))
    assert [g.id for g in found.resources] == [group.id]
    hand = await tenant.client.patch(f"/api/groups/{group.id}", json={"name": "x"}, headers=tenant.admin.headers)
    assert hand.status_code == 409
    await scim.delete(GroupModel, group.id)
    assert (await tenant.client.get(f"/api/groups/{group.id}", headers=tenant.admin.headers)).status_code == 404


async def test_a_scim_token_of_tenant_b_sees_nothing_of_tenant_a_and_cannot_call_the_api(
    app: FastAPI, client: httpx.AsyncClient, make_tenant: TenantFactory
) -> None:
    a, b = await make_tenant(), await make_tenant()
    scim_a = await scim_client(app, await scim_token(a))
    ada = await scim_a.create(scim_a.provider.model_for("User")(user_name="ada@example.com"))
    token_b = await scim_token(b)
    headers = {"Authorization": f"Bearer {token_b}"}
    listed = await client.get("/scim/v2/Users", params={"filter": 'userName eq "ada@example.com"'}, headers=headers)
    assert listed.status_code == 200
    assert listed.json()["totalResults"] == 0
    one = await client.get(f"/scim/v2/Users/{ada.id}", headers=headers)
    assert one.status_code == 404
    assert one.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    patched = await client.patch(
        f"/scim/v2/Users/{ada.id}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": False}}],
        },
        headers={**headers, **SCIM_JSON},
    )
    assert patched.status_code == 404
    assert (await client.get("/api/users", headers=headers)).status_code == 401
    assert (await client.get("/api/me", headers=headers)).status_code == 401
    # Our own credentials do not open /scim/v2.
    assert (await client.get("/scim/v2/Users", headers=a.admin.headers)).status_code == 401


async def test_a_revoked_scim_token_answers_401(app: FastAPI, tenant: TenantContext, client: httpx.AsyncClient) -> None:
    token = await scim_token(tenant)
    listed = await client.get("/api/scim-tokens", headers=tenant.admin.headers)
    (row,) = listed.json()["items"]
    assert "token" not in row
    assert row["prefix"] == token[:13]
    assert (await client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {token}"})).status_code == 200
    revoked = await client.delete(f"/api/scim-tokens/{row['id']}", headers=tenant.admin.headers)
    assert revoked.status_code == 204
    after = await client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {token}"})
    assert after.status_code == 401
    assert after.json()["status"] == "401"
