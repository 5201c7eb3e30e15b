"""Sign-in, token expiry, API tokens, disabled users, cookie sessions with CSRF and their revocation, and the
sign-in throttle keyed on (account, client address)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import jwt
import pytest
from fastapi import FastAPI, Request
from sqlalchemy import text

from tenantplane.identity.throttle import client_address
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


@asynccontextmanager
async def _client_at(app: FastAPI, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests come from `address` (the ASGI client; nothing goes over the network)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def _web_sign_in(http: httpx.AsyncClient, tenant: TenantContext, email: str) -> tuple[str, str]:
    """Sign in the web way; (the session cookie's value, its CSRF token)."""
    signed_in = await http.post("/api/auth/session", json={"tenant": tenant.slug, "email": email, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    return signed_in.cookies["tp_session"], signed_in.json()["csrf_token"]


def _with_cookie(cookie: str, csrf: str) -> dict[str, str]:
    return {"Cookie": f"tp_session={cookie}; tp_csrf={csrf}", "X-CSRF-Token": csrf}


async def test_signing_out_revokes_the_session_so_the_same_cookie_gets_401(app: FastAPI, tenant: TenantContext) -> None:
    async with _client_at(app, "127.0.0.2") as laptop, _client_at(app, "127.0.0.3") as phone:
        cookie, csrf = await _web_sign_in(laptop, tenant, tenant.admin.email)
        other_cookie, other_csrf = await _web_sign_in(phone, tenant, tenant.admin.email)
        laptop.cookies.clear()  # from here on the old cookie is sent by hand, as a thief would
        assert (await laptop.get("/api/me", headers=_with_cookie(cookie, csrf))).status_code == 200
        out = await laptop.delete("/api/auth/session", headers=_with_cookie(cookie, csrf))
        assert out.status_code == 204
        me = await laptop.get("/api/me", headers=_with_cookie(cookie, csrf))
        assert me.status_code == 401
        assert "signed out" in me.json()["detail"]
        write = await laptop.post("/api/groups", json={"name": "after-sign-out"}, headers=_with_cookie(cookie, csrf))
        assert write.status_code == 401
        # Only that session ended: the same user's session in another browser goes on.
        phone.cookies.clear()
        assert (await phone.get("/api/me", headers=_with_cookie(other_cookie, other_csrf))).status_code == 200
        again = await laptop.delete("/api/auth/session", headers=_with_cookie(cookie, csrf))
        assert again.status_code == 204  # idempotent


async def test_a_password_change_or_disabling_ends_the_users_web_sessions(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    for change in ({"password": "a brand new password"}, {"is_active": False}):
        user = await tenant.user()
        async with _client_at(app, "127.0.0.2") as browser:
            cookie, csrf = await _web_sign_in(browser, tenant, user.email)
            browser.cookies.clear()
            assert (await browser.get("/api/me", headers=_with_cookie(cookie, csrf))).status_code == 200
            changed = await client.patch(f"/api/users/{user.id}", json=change, headers=tenant.admin.headers)
            assert changed.status_code == 200
            assert (await browser.get("/api/me", headers=_with_cookie(cookie, csrf))).status_code == 401
        async with app.state.db.transaction() as session:
            live = await session.scalar(
                text("SELECT count(*) FROM user_sessions WHERE user_id = :u AND revoked_at IS NULL"),
                {"u": uuid.UUID(user.id)},
            )
        assert live == 0, change


@pytest.mark.parametrize("sid", [None, str(uuid.uuid4())])
async def test_a_signed_session_cookie_without_a_live_server_session_is_refused(
    client: httpx.AsyncClient, tenant: TenantContext, settings: Settings, sid: str | None
) -> None:
    claims = {"kind": "session", "sub": tenant.admin.id, "tid": tenant.id, "gen": 0, "exp": 4_000_000_000, "csrf": "c"}
    forged = jwt.encode({**claims, **({"sid": sid} if sid else {})}, settings.resolved_secret_key, algorithm="HS256")
    response = await client.get("/api/me", headers={"Cookie": f"tp_session={forged}"})
    assert response.status_code == 401


def _login(tenant: TenantContext, email: str, password: str) -> dict[str, str]:
    return {"tenant": tenant.slug, "email": email, "password": password}


async def test_failures_from_one_address_do_not_lock_the_account_for_another(
    app: FastAPI, tenant: TenantContext, settings: Settings
) -> None:
    wrong = _login(tenant, tenant.admin.email, "wrong-password")
    right = _login(tenant, tenant.admin.email, PASSWORD)
    async with _client_at(app, "127.0.0.2") as attacker, _client_at(app, "127.0.0.3") as owner:
        for attempt in range(settings.login_max_failures):
            # A forged X-Forwarded-For changes nothing: the address is the ASGI client's.
            forwarded = {"X-Forwarded-For": f"127.0.1.{attempt}"}
            assert (await attacker.post("/api/auth/token", json=wrong, headers=forwarded)).status_code == 401
        locked = await attacker.post("/api/auth/token", json=right, headers={"X-Forwarded-For": "127.0.9.9"})
        assert locked.status_code == 429
        assert 0 < int(locked.headers["retry-after"]) <= settings.login_backoff_seconds
        assert (await owner.post("/api/auth/token", json=right)).status_code == 200
        assert (await owner.post("/api/auth/session", json=right)).status_code == 200
        # The owner's success elsewhere does not lift the lock on the attacker's address.
        assert (await attacker.post("/api/auth/token", json=right)).status_code == 429


async def _expire_locks(app: FastAPI) -> None:
    """Stand in for waiting out the lock: it ends now (the failure count stays)."""
    async with app.state.db.transaction() as session:
        await session.execute(text("UPDATE login_throttles SET locked_until = now() WHERE locked_until IS NOT NULL"))


async def test_the_backoff_doubles_with_each_further_failure_up_to_the_cap(
    app: FastAPI, tenant: TenantContext, settings: Settings
) -> None:
    wrong = _login(tenant, tenant.admin.email, "wrong-password")
    waits = []
    async with _client_at(app, "127.0.0.2") as attacker:
        for _ in range(settings.login_max_failures):
            assert (await attacker.post("/api/auth/token", json=wrong)).status_code == 401
        for _ in range(7):
            locked = await attacker.post("/api/auth/token", json=wrong)
            assert locked.status_code == 429
            waits.append(int(locked.headers["retry-after"]))
            await _expire_locks(app)
            assert (await attacker.post("/api/auth/token", json=wrong)).status_code == 401
    base, cap = settings.login_backoff_seconds, settings.login_lockout_seconds
    expected = [min(cap, base * 2**n) for n in range(7)]  # 30, 60, ... 900, 900
    assert all(e - 2 <= w <= e for w, e in zip(waits, expected, strict=True)), (waits, expected)


async def test_a_flood_from_many_addresses_slows_each_one_but_never_locks_the_owner_out(
    app: FastAPI, tenant: TenantContext, settings: Settings
) -> None:
    settings.login_account_alarm_failures = 3
    wrong = _login(tenant, tenant.admin.email, "wrong-password")
    right = _login(tenant, tenant.admin.email, PASSWORD)
    for n in range(3):  # one guess each from three addresses: below the per-address allowance
        async with _client_at(app, f"127.0.0.{10 + n}") as bot:
            assert (await bot.post("/api/auth/token", json=wrong)).status_code == 401
    async with _client_at(app, "127.0.0.13") as bot:
        assert (await bot.post("/api/auth/token", json=wrong)).status_code == 401
        assert (await bot.post("/api/auth/token", json=wrong)).status_code == 429  # one try, then its backoff
    async with _client_at(app, "127.0.0.20") as owner:
        assert (await owner.post("/api/auth/token", json=right)).status_code == 200


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.2", "127.0.0.2"),
        ("::ffff:127.0.0.2", "127.0.0.2"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::7", "2001:db8:1:2::/64"),
        ("not-an-ip", "unknown"),
    ],
)
def test_the_throttle_counts_ipv6_clients_by_their_64(host: str, address: str) -> None:
    request = Request({"type": "http", "client": (host, 1), "headers": [], "method": "POST", "path": "/"})
    assert client_address(request) == address
