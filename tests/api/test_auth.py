"""Sign-in, token expiry, API tokens, disabled users, throttling and cookie sessions with CSRF."""

from __future__ import annotations

import uuid

import httpx
import jwt
import pytest

from tenantplane.settings import Settings
from tests.api.conftest import PASSWORD, TenantContext

BAD = {"tenant": "nope", "email": "nobody@example.com", "password": "wrong-password"}


async def test_token_login_returns_the_fixed_shape(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    response = await client.post(
        "/api/auth/token", json={"tenant": tenant.slug, "email": tenant.admin.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0
    me = await client.get("/api/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == tenant.admin.email
    assert me.json()["tenant_slug"] == tenant.slug
    assert "users.manage" in me.json()["permissions"]


async def test_wrong_password_and_unknown_user_get_the_same_401(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    wrong = await client.post(
        "/api/auth/token", json={"tenant": tenant.slug, "email": tenant.admin.email, "password": "not-it-at-all"}
    )
    unknown_user = await client.post(
        "/api/auth/token", json={"tenant": tenant.slug, "email": "ghost@example.com", "password": "not-it-at-all"}
    )
    unknown_tenant = await client.post("/api/auth/token", json=BAD)
    assert wrong.status_code == unknown_user.status_code == unknown_tenant.status_code == 401

    def comparable(r: httpx.Response) -> dict[str, object]:
        return {k: v for k, v in r.json().items() if k != "request_id"}

    assert comparable(wrong) == comparable(unknown_user) == comparable(unknown_tenant)
    assert wrong.headers["content-type"] == "application/problem+json"


async def test_expired_token_is_refused(client: httpx.AsyncClient, tenant: TenantContext, settings: Settings) -> None:
    expired = jwt.encode(
        {"kind": "access", "sub": tenant.admin.id, "tid": tenant.id, "gen": 0, "exp": 1_000_000},
        settings.resolved_secret_key,
        algorithm="HS256",
    )
    response = await client.get("/api/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401


async def test_token_signed_with_another_key_is_refused(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    forged = jwt.encode(
        {"kind": "access", "sub": tenant.admin.id, "tid": tenant.id, "gen": 0, "exp": 4_000_000_000},
        "some-other-key-of-enough-length-000000",
        algorithm="HS256",
    )
    response = await client.get("/api/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_disabled_user_cannot_sign_in_and_loses_existing_tokens(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    user = await tenant.user()
    assert (await client.get("/api/me", headers=user.headers)).status_code == 200
    disabled = await client.patch(f"/api/users/{user.id}", json={"is_active": False}, headers=tenant.admin.headers)
    assert disabled.status_code == 200
    assert (await client.get("/api/me", headers=user.headers)).status_code == 401
    login = await client.post(
        "/api/auth/token", json={"tenant": tenant.slug, "email": user.email, "password": PASSWORD}
    )
    assert login.status_code == 401


async def test_api_token_works_until_revoked_and_is_shown_once(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    created = await client.post("/api/auth/api-tokens", json={"name": "ci"}, headers=tenant.admin.headers)
    assert created.status_code == 201
    secret = created.json()["token"]
    token_id = created.json()["id"]
    me = await client.get("/api/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200
    listed = await client.get("/api/auth/api-tokens", headers=tenant.admin.headers)
    assert [t["id"] for t in listed.json()["items"]] == [token_id]
    assert "token" not in listed.json()["items"][0]
    revoked = await client.delete(f"/api/auth/api-tokens/{token_id}", headers=tenant.admin.headers)
    assert revoked.status_code == 204
    after = await client.get("/api/me", headers={"Authorization": f"Bearer {secret}"})
    assert after.status_code == 401


async def test_expired_api_token_is_refused(client: httpx.AsyncClient, tenant: TenantContext, app: object) -> None:
    created = await client.post(
        "/api/auth/api-tokens", json={"name": "short", "expires_in_days": 1}, headers=tenant.admin.headers
    )
    secret = created.json()["token"]
    from sqlalchemy import text

    async with app.state.db.transaction() as session:  # type: ignore[attr-defined]
        await session.execute(
            text("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = :id"),
            {"id": uuid.UUID(created.json()["id"])},
        )
    assert (await client.get("/api/me", headers={"Authorization": f"Bearer {secret}"})).status_code == 401


async def test_password_change_invalidates_older_access_tokens(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    user = await tenant.user()
    changed = await client.patch(
        f"/api/users/{user.id}", json={"password": "a brand new password"}, headers=tenant.admin.headers
    )
    assert changed.status_code == 200
    assert (await client.get("/api/me", headers=user.headers)).status_code == 401


async def test_repeated_failures_are_throttled_even_with_the_right_password(
    client: httpx.AsyncClient, tenant: TenantContext, settings: Settings
) -> None:
    body = {"tenant": tenant.slug, "email": tenant.admin.email, "password": "wrong-password"}
    for _ in range(settings.login_max_failures):
        assert (await client.post("/api/auth/token", json=body)).status_code == 401
    locked = await client.post("/api/auth/token", json={**body, "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    other_user = await client.post(
        "/api/auth/token", json={"tenant": tenant.slug, "email": "else@example.com", "password": "whatever-pw"}
    )
    assert other_user.status_code == 401


async def test_cookie_session_needs_csrf_header_for_changes(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    signed_in = await client.post(
        "/api/auth/session", json={"tenant": tenant.slug, "email": tenant.admin.email, "password": PASSWORD}
    )
    assert signed_in.status_code == 200
    set_cookie = signed_in.headers.get_list("set-cookie")
    session_cookie = next(c for c in set_cookie if c.startswith("tp_session="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=lax" in session_cookie
    csrf = signed_in.json()["csrf_token"]
    assert (await client.get("/api/me")).status_code == 200
    without = await client.post("/api/groups", json={"name": "no-csrf"})
    assert without.status_code == 403
    wrong = await client.post("/api/groups", json={"name": "wrong-csrf"}, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    ok = await client.post("/api/groups", json={"name": "with-csrf"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201
    out = await client.delete("/api/auth/session")
    assert out.status_code == 204
    client.cookies.clear()
    assert (await client.get("/api/me")).status_code == 401


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer tpat_unknown", "Bearer a.b.c"])
async def test_malformed_credentials_get_401(client: httpx.AsyncClient, header: str) -> None:
    response = await client.get("/api/me", headers={"Authorization": header})
    assert response.status_code == 401
