"""The sweep of the /scim/v2 routes, read from the app's routes (they are not in the OpenAPI document, see
`tests/api/sweep_scim.py`): SCIM auth in place of ours, and another tenant's ids are 404."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from tenantplane.identity.scim.endpoints import scim_router
from tests.api.conftest import TenantFactory
from tests.api.scim_helpers import scim_token

pytestmark = pytest.mark.asyncio
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def _scim_routes(app: FastAPI) -> list[tuple[str, str]]:
    # The router identity mounts (every /scim/v2 route is on it; the requests below go through the app).
    found = [
        (method, route.path)
        for route in scim_router.routes
        if isinstance(route, APIRoute)
        for method in sorted(route.methods)
    ]
    assert len(found) >= 17, found  # 3 discovery lists, 2 discovery reads, 6 verbs of Users and of Groups
    return found


def _concrete(path: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value)
    return path


async def test_every_scim_route_wants_a_scim_token(
    app: FastAPI, client: httpx.AsyncClient, make_tenant: TenantFactory
) -> None:
    tenant = await make_tenant()
    ids = {"user_id": tenant.admin.id, "group_id": tenant.admin.id, "schema_id": USER, "name": "User"}
    failures = []
    for method, path in _scim_routes(app):
        url = _concrete(path, ids)
        for headers in ({}, tenant.admin.headers, {"Authorization": "Bearer tpscim_unknown"}):
            response = await client.request(method, url, headers=headers, json={})
            if response.status_code != 401 or response.json().get("status") != "401":
                failures.append((method, path, headers, response.status_code))
    assert failures == []


async def test_every_scim_route_with_an_id_is_404_to_another_tenant(
    app: FastAPI, client: httpx.AsyncClient, make_tenant: TenantFactory
) -> None:
    a, b = await make_tenant(), await make_tenant()
    headers_a = {"Authorization": f"Bearer {await scim_token(a)}"}
    user = await client.post(
        "/scim/v2/Users", json={"schemas": [USER], "userName": "ada@example.com"}, headers=headers_a
    )
    group = await client.post(
        "/scim/v2/Groups",
        json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "CAB"},
        headers=headers_a,
    )
    ids = {"user_id": user.json()["id"], "group_id": group.json()["id"]}
    headers_b = {"Authorization": f"Bearer {await scim_token(b)}"}
    failures = []
    for method, path in _scim_routes(app):
        if "{user_id}" not in path and "{group_id}" not in path:
            continue
        response = await client.request(method, _concrete(path, ids), headers=headers_b, json={})
        if response.status_code != 404:
            failures.append((method, path, response.status_code))
    assert failures == []
    assert (await client.get(f"/scim/v2/Users/{ids['user_id']}", headers=headers_a)).status_code == 200
