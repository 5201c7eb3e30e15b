"""Bad input gets a clear 4xx problem document naming the field, never a 500, and writes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from tenantplane.identity.models import Group, User
from tests.api.conftest import TenantContext


async def _counts(app: FastAPI) -> tuple[int, int]:
    async with app.state.db.transaction() as session:
        users = await session.scalar(select(func.count()).select_from(User))
        groups = await session.scalar(select(func.count()).select_from(Group))
        return int(users or 0), int(groups or 0)


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"]
    return body


async def test_malformed_json_is_a_400(app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext) -> None:
    before = await _counts(app)
    response = await client.post(
        "/api/users",
        content=b'{"email": "x@example.com",',
        headers={**tenant.admin.headers, "content-type": "application/json"},
    )
    _problem(response, 400)
    assert await _counts(app) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "display_name": "X"}, "email"),
        ({"email": "a@example.com", "display_name": 42}, "display_name"),
        ({"email": "a@example.com", "display_name": "X", "roles": "admin"}, "roles"),
        ({"email": "a@example.com", "display_name": "X", "roles": ["Not A Role!"]}, "roles.0"),
        ({"email": "a@example.com", "display_name": "X", "surprise": True}, "surprise"),
        ({"email": "a@example.com", "display_name": "X", "password": "short"}, "password"),
        ({"email": "a@example.com", "display_name": ""}, "display_name"),
        ({"email": "a@example.com", "display_name": "x" * 201}, "display_name"),
        ({"email": "a@example.com", "display_name": "nul\u0000byte"}, "display_name"),
        ({"email": "a@example.com", "display_name": "X", "manager_id": "not-a-uuid"}, "manager_id"),
        ({"display_name": "X"}, "email"),
    ],
)
async def test_invalid_user_fields_are_named(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext, body: dict[str, Any], field: str
) -> None:
    before = await _counts(app)
    problem = _problem(await client.post("/api/users", json=body, headers=tenant.admin.headers), 422)
    assert field in [e["field"] for e in problem["errors"]]
    assert await _counts(app) == before


async def test_lone_surrogate_is_refused(app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext) -> None:
    raw = b'{"name": "bad \\ud800 text"}'
    response = await client.post(
        "/api/groups", content=raw, headers={**tenant.admin.headers, "content-type": "application/json"}
    )
    problem = _problem(response, 422)
    assert problem["errors"][0]["field"] == "name"


@pytest.mark.parametrize("name", ["Ünïcödé grüppe", "מנהלים", "🚀 launch team", "ﬁ ligature", "日本語のグループ"])
async def test_unicode_names_round_trip(client: httpx.AsyncClient, tenant: TenantContext, name: str) -> None:
    created = await client.post("/api/groups", json={"name": name}, headers=tenant.admin.headers)
    assert created.status_code == 201, created.text
    fetched = await client.get(f"/api/groups/{created.json()['id']}", headers=tenant.admin.headers)
    assert fetched.json()["name"] == name


async def test_oversized_body_is_a_413(app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext) -> None:
    before = await _counts(app)
    big = {"name": "g", "description": "x" * 2_000_000}
    _problem(await client.post("/api/groups", json=big, headers=tenant.admin.headers), 413)

    async def chunks() -> Any:  # no Content-Length: the limit must hold while streaming too
        yield b'{"name": "g", "description": "'
        for _ in range(40):
            yield b"y" * 65536
        yield b'"}'

    streamed = await client.post(
        "/api/groups", content=chunks(), headers={**tenant.admin.headers, "content-type": "application/json"}
    )
    _problem(streamed, 413)
    assert await _counts(app) == before


async def test_bad_path_and_query_values_are_4xx(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    _problem(await client.get("/api/users/not-a-uuid", headers=tenant.admin.headers), 422)
    _problem(await client.get("/api/users", params={"limit": 0}, headers=tenant.admin.headers), 422)
    _problem(await client.get("/api/users", params={"limit": 10_000}, headers=tenant.admin.headers), 422)
    _problem(await client.get("/api/users", params={"cursor": "%%%"}, headers=tenant.admin.headers), 400)


async def test_unknown_route_and_wrong_method_are_problems(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    _problem(await client.get("/api/nope", headers=tenant.admin.headers), 404)
    _problem(await client.put("/api/me", json={}, headers=tenant.admin.headers), 405)


async def test_reference_to_another_tenants_user_is_a_422(client: httpx.AsyncClient, make_tenant: Any) -> None:
    a: TenantContext = await make_tenant()
    b: TenantContext = await make_tenant()
    foreign = await b.member()
    response = await client.post(
        "/api/users",
        json={"email": "m@example.com", "display_name": "M", "manager_id": foreign},
        headers=a.admin.headers,
    )
    problem = _problem(response, 422)
    assert problem["errors"][0]["field"] == "manager_id"
