"""Each built-in role against each identity/audit endpoint: allowed, or 403.

The expected table is written out by hand from the spec, so a change to the role map shows up here.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.api.conftest import TenantContext

ROLES = ["admin", "service_owner", "automation_engineer", "fulfiller", "requester"]
STAFF = {"admin", "service_owner", "automation_engineer", "fulfiller"}
ADMIN = {"admin"}
EVERYONE = set(ROLES)

# (method, path template, roles allowed)
MATRIX: list[tuple[str, str, set[str]]] = [
    ("GET", "/api/me", EVERYONE),
    ("PATCH", "/api/me", EVERYONE),
    ("GET", "/api/auth/api-tokens", EVERYONE),
    ("POST", "/api/auth/api-tokens", EVERYONE),
    ("GET", "/api/users", STAFF),
    ("POST", "/api/users", ADMIN),
    ("GET", "/api/users/{user_id}", STAFF),
    ("PATCH", "/api/users/{user_id}", ADMIN),
    ("POST", "/api/users/{user_id}/unlock", ADMIN),
    ("GET", "/api/groups", STAFF),
    ("POST", "/api/groups", ADMIN),
    ("GET", "/api/groups/{group_id}", STAFF),
    ("PATCH", "/api/groups/{group_id}", ADMIN),
    ("DELETE", "/api/groups/{group_id}", ADMIN),
    ("GET", "/api/groups/{group_id}/members", STAFF),
    ("POST", "/api/groups/{group_id}/members", ADMIN),
    ("DELETE", "/api/groups/{group_id}/members/{user_id}", ADMIN),
    ("GET", "/api/roles", STAFF),
    ("GET", "/api/audit", ADMIN),
    ("GET", "/api/tenant", ADMIN),
    ("PATCH", "/api/tenant", ADMIN),
    ("GET", "/api/platform/tenants", set()),
]


def _body(method: str, path: str, ids: dict[str, str]) -> dict[str, Any] | None:
    if path == "/api/users":
        return {"email": f"n{uuid.uuid4().hex[:8]}@example.com", "display_name": "New", "password": "longenough1"}
    if path == "/api/groups":
        return {"name": f"g-{uuid.uuid4().hex[:8]}"}
    if path == "/api/groups/{group_id}/members":
        return {"user_id": ids["other_user"]}
    if path == "/api/auth/api-tokens":
        return {"name": "matrix"}
    return {} if method in {"POST", "PATCH"} else None


@pytest.mark.parametrize("role", ROLES)
async def test_role_permissions_match_the_spec(client: httpx.AsyncClient, tenant: TenantContext, role: str) -> None:
    actor = await tenant.user(roles=[] if role == "requester" else [role])
    failures = []
    for method, path, allowed in MATRIX:
        group = await client.post("/api/groups", json={"name": uuid.uuid4().hex}, headers=tenant.admin.headers)
        member = await tenant.member()
        other = await tenant.member()
        await client.post(
            f"/api/groups/{group.json()['id']}/members", json={"user_id": member}, headers=tenant.admin.headers
        )
        ids = {"group_id": group.json()["id"], "user_id": member, "other_user": other}
        url = path.format(**ids)
        response = await client.request(method, url, json=_body(method, path, ids), headers=actor.headers)
        expected_ok = role in allowed
        ok = response.status_code < 300
        if ok != expected_ok or (not ok and response.status_code != 403):
            failures.append(f"{role} {method} {path}: {response.status_code} {response.text[:120]}")
    assert failures == []
