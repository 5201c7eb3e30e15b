"""Bad SCIM input answers SCIM error bodies (RFC 7644 §3.12), never 500, and writes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tenantplane.audit.models import AuditEvent
from tenantplane.identity.models import User
from tests.api.conftest import TenantContext
from tests.api.scim_helpers import SCIM_JSON, scim_token

pytestmark = pytest.mark.asyncio
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


async def _counts(tenant: TenantContext) -> tuple[int, int]:
    async with tenant.database.transaction() as session:
        users = await session.scalar(select(func.count()).select_from(User))
        events = await session.scalar(select(func.count()).select_from(AuditEvent))
    return int(users or 0), int(events or 0)


def _is_error(response: httpx.Response, status: int, scim_type: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    body: dict[str, Any] = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body["detail"]
    assert body.get("scimType") == scim_type
    return body


@pytest.fixture
async def scim(tenant: TenantContext, client: httpx.AsyncClient) -> httpx.AsyncClient:
    token = await scim_token(tenant)
    client.headers.update({"Authorization": f"Bearer {token}", **SCIM_JSON})
    return client


async def test_a_duplicate_user_name_is_409_uniqueness_and_writes_nothing(
    scim: httpx.AsyncClient, tenant: TenantContext
) -> None:
    first = await scim.post("/scim/v2/Users", json={"schemas": [USER], "userName": "ada@example.com"})
    assert first.status_code == 201, first.text
    before = await _counts(tenant)
    again = await scim.post("/scim/v2/Users", json={"schemas": [USER], "userName": "ADA@example.com"})
    _is_error(again, 409, "uniqueness")
    admin = await scim.post("/scim/v2/Users", json={"schemas": [USER], "userName": tenant.admin.email})
    _is_error(admin, 409, "uniqueness")
    assert await _counts(tenant) == before


async def test_unknown_attributes_are_refused(scim: httpx.AsyncClient, tenant: TenantContext) -> None:
    before = await _counts(tenant)
    body = {"schemas": [USER], "userName": "ada@example.com", "shoeSize": 44}
    _is_error(await scim.post("/scim/v2/Users", json=body), 400, "invalidSyntax")
    no_name = {"schemas": [USER], "displayName": "Ada"}
    _is_error(await scim.post("/scim/v2/Users", json=no_name), 400, "invalidValue")
    _is_error(await scim.post("/scim/v2/Users", content=b"[1, 2]"), 400, "invalidSyntax")
    assert await _counts(tenant) == before


@pytest.mark.parametrize(
    "operations",
    [
        [{"op": "frobnicate", "path": "displayName", "value": "x"}],
        [{"op": "replace", "path": "shoeSize", "value": 44}],
        [{"op": "replace", "path": "displayName[", "value": "x"}],
        [{"op": "replace", "path": "displayName", "value": "ok"}, {"op": "replace", "path": "active", "value": "?!"}],
        "not a list",
    ],
)
async def test_a_malformed_patch_is_a_scim_error_and_changes_nothing(
    scim: httpx.AsyncClient, tenant: TenantContext, operations: Any
) -> None:
    created = await scim.post("/scim/v2/Users", json={"schemas": [USER], "userName": "ada@example.com"})
    user_id = created.json()["id"]
    before = await _counts(tenant)
    resource = (await scim.get(f"/scim/v2/Users/{user_id}")).json()
    response = await scim.patch(f"/scim/v2/Users/{user_id}", json={"schemas": [PATCH], "Operations": operations})
    assert response.status_code == 400, response.text
    assert response.json()["schemas"] == [ERROR]
    assert await _counts(tenant) == before
    assert (await scim.get(f"/scim/v2/Users/{user_id}")).json() == resource


@pytest.mark.parametrize(
    "expression",
    ["userName eq", 'shoeSize eq "44"', 'userName gt "a"', 'emails[type eq "work"]', 'active co "t"', "((("],
)
async def test_a_bad_filter_is_400_invalid_filter(scim: httpx.AsyncClient, expression: str) -> None:
    _is_error(await scim.get("/scim/v2/Users", params={"filter": expression}), 400, "invalidFilter")


async def test_unknown_ids_and_a_missing_token_are_scim_errors(
    client: httpx.AsyncClient, scim: httpx.AsyncClient
) -> None:
    _is_error(await scim.get("/scim/v2/Users/not-an-id"), 404, None)
    _is_error(await scim.get("/scim/v2/Groups/00000000-0000-0000-0000-000000000000"), 404, None)
    del client.headers["Authorization"]
    _is_error(await client.get("/scim/v2/Users"), 401, None)
    _is_error(
        await client.get("/scim/v2/ServiceProviderConfig", headers={"Authorization": "Bearer tpscim_nope"}), 401, None
    )


async def test_deactivating_the_last_admin_through_scim_is_refused(
    scim: httpx.AsyncClient, tenant: TenantContext
) -> None:
    before = await _counts(tenant)
    patch = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]}
    _is_error(await scim.patch(f"/scim/v2/Users/{tenant.admin.id}", json=patch), 409, None)
    assert await _counts(tenant) == before
