"""Sweep registry entries for the identity and audit routes (see tests/api/sweeps.py)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable

import httpx

from tests.api.conftest import PASSWORD, TenantContext
from tests.api.sweeps import BodyFor, Call, Factory, Ids, Setup

PUBLIC = {
    ("post", "/api/auth/token"): "sign-in",
    ("post", "/api/auth/session"): "sign-in for the web UI",
    ("delete", "/api/auth/session"): "sign-out is idempotent: without a live session it only clears cookies",
}
CROSS_TENANT_PREFIXES = {"/api/platform/": "platform administrators manage tenants; tenant users get 403"}


async def _user_id(t: TenantContext, c: httpx.AsyncClient) -> str:
    return await t.member()


async def _group_id(t: TenantContext, c: httpx.AsyncClient) -> str:
    r = await c.post("/api/groups", json={"name": f"g-{uuid.uuid4().hex[:6]}"}, headers=t.admin.headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _api_token_id(t: TenantContext, c: httpx.AsyncClient) -> str:
    r = await c.post("/api/auth/api-tokens", json={"name": "sweep"}, headers=t.admin.headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


# One factory per path parameter name: it creates an object of that kind in the given tenant.
FACTORIES: dict[str, Factory] = {"user_id": _user_id, "group_id": _group_id, "token_id": _api_token_id}
# Bodies for routes whose body must be valid before the handler can look the object up.
BODIES: dict[tuple[str, str], BodyFor] = {
    ("post", "/api/groups/{group_id}/members"): lambda ids: {"user_id": ids.get("user_id", str(uuid.uuid4()))},
}


async def _nothing(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {}


async def _group(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    r = await c.post("/api/groups", json={"name": uuid.uuid4().hex}, headers=t.admin.headers)
    return {"group": r.json()["id"], "user": await t.member()}


async def _membership(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    ids = await _group(c, t)
    await c.post(f"/api/groups/{ids['group']}/members", json={"user_id": ids["user"]}, headers=t.admin.headers)
    return ids


async def _token(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    r = await c.post("/api/auth/api-tokens", json={"name": "x"}, headers=t.admin.headers)
    return {"token": r.json()["id"]}


async def _user(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {"user": await t.member()}


async def _web_session(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    r = await c.post("/api/auth/session", json={"tenant": t.slug, "email": t.admin.email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {}


def _login(path: str) -> Call:
    def call(c: httpx.AsyncClient, t: TenantContext, ids: Ids) -> Awaitable[httpx.Response]:
        return c.post(path, json={"tenant": t.slug, "email": t.admin.email, "password": PASSWORD})

    return call


# One successful call per mutating route (method, OpenAPI path): a set-up, then the call under test.
AUDIT_SCENARIOS: dict[tuple[str, str], tuple[Setup, Call]] = {
    ("patch", "/api/tenant"): (
        _nothing,
        lambda c, t, i: c.patch("/api/tenant", json={"egress_allow_list": ["127.0.0.1"]}, headers=t.admin.headers),
    ),
    ("post", "/api/auth/token"): (_nothing, _login("/api/auth/token")),
    ("post", "/api/auth/session"): (_nothing, _login("/api/auth/session")),
    ("patch", "/api/me"): (
        _nothing,
        lambda c, t, i: c.patch("/api/me", json={"display_name": "Me"}, headers=t.admin.headers),
    ),
    ("post", "/api/auth/api-tokens"): (
        _nothing,
        lambda c, t, i: c.post("/api/auth/api-tokens", json={"name": "t"}, headers=t.admin.headers),
    ),
    ("delete", "/api/auth/api-tokens/{token_id}"): (
        _token,
        lambda c, t, i: c.delete(f"/api/auth/api-tokens/{i['token']}", headers=t.admin.headers),
    ),
    ("post", "/api/users"): (
        _nothing,
        lambda c, t, i: c.post(
            "/api/users", json={"email": "new@example.com", "display_name": "N"}, headers=t.admin.headers
        ),
    ),
    ("patch", "/api/users/{user_id}"): (
        _user,
        lambda c, t, i: c.patch(f"/api/users/{i['user']}", json={"roles": ["cab"]}, headers=t.admin.headers),
    ),
    ("post", "/api/users/{user_id}/unlock"): (
        _user,
        lambda c, t, i: c.post(f"/api/users/{i['user']}/unlock", headers=t.admin.headers),
    ),
    ("delete", "/api/auth/session"): (_web_session, lambda c, t, i: c.delete("/api/auth/session")),
    ("post", "/api/groups"): (
        _nothing,
        lambda c, t, i: c.post("/api/groups", json={"name": "new"}, headers=t.admin.headers),
    ),
    ("patch", "/api/groups/{group_id}"): (
        _group,
        lambda c, t, i: c.patch(f"/api/groups/{i['group']}", json={"description": "d"}, headers=t.admin.headers),
    ),
    ("delete", "/api/groups/{group_id}"): (
        _group,
        lambda c, t, i: c.delete(f"/api/groups/{i['group']}", headers=t.admin.headers),
    ),
    ("post", "/api/groups/{group_id}/members"): (
        _group,
        lambda c, t, i: c.post(
            f"/api/groups/{i['group']}/members", json={"user_id": i["user"]}, headers=t.admin.headers
        ),
    ),
    ("delete", "/api/groups/{group_id}/members/{user_id}"): (
        _membership,
        lambda c, t, i: c.delete(f"/api/groups/{i['group']}/members/{i['user']}", headers=t.admin.headers),
    ),
}
# Mutating routes that change no stored state, and why.
NOT_MUTATIONS: dict[tuple[str, str], str] = {}
