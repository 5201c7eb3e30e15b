"""Single sign-on end to end against a real OpenID provider on 127.0.0.1 (oidc-provider-mock): login → the IdP's
authorize form → callback → our session; JIT users with groups from claims, refusals, password sign-in turned off."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import oidc_provider_mock
import pytest
import werkzeug.serving
from fastapi import FastAPI

from tests.api.conftest import PASSWORD, TenantContext


@pytest.fixture(scope="module")
def idp() -> Iterator[str]:
    """A real OIDC provider (nonce required) on 127.0.0.1; its issuer URL."""
    server = werkzeug.serving.make_server("127.0.0.1", 0, oidc_provider_mock.app(require_nonce=True), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
async def browser(app: FastAPI, idp: str) -> AsyncIterator[httpx.AsyncClient]:
    """One cookie jar across our app (in process) and the IdP (real HTTP), like a browser's."""
    mounts = {
        "http://testserver": httpx.ASGITransport(app=app, raise_app_exceptions=False),
        idp: httpx.AsyncHTTPTransport(),
    }
    async with httpx.AsyncClient(mounts=mounts, base_url="http://testserver") as client:
        yield client


def set_claims(idp: str, sub: str, claims: dict[str, Any]) -> None:
    response = httpx.put(f"{idp}/users/{quote(sub, safe='')}", json=claims)
    assert response.status_code == 204, response.text


async def configure(tenant: TenantContext, idp: str, **settings: Any) -> dict[str, Any]:
    body = {
        "display_name": "Mock IdP",
        "issuer": idp,
        "client_id": f"tp-{tenant.slug}",
        "client_secret": "s3cret-of-the-client",
        "groups_claim": "groups",
        "manager_claim": "manager_email",
        "jit": True,
        **settings,
    }
    response = await tenant.client.put("/api/identity-provider", json=body, headers=tenant.admin.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def sso(browser: httpx.AsyncClient, slug: str, sub: str) -> httpx.Response:
    """Click "Sign in with …", pick `sub` on the IdP's form, come back: the callback's answer."""
    login = await browser.get(f"/api/auth/oidc/{slug}/login")
    assert login.status_code == 302, login.text
    authorize = login.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"]
    assert query["nonce"]
    form = await browser.get(authorize)
    assert form.status_code == 200
    assert 'name="sub"' in form.text
    consent = await browser.post(authorize, data={"sub": sub})
    assert consent.status_code == 302, consent.text
    assert consent.headers["location"].startswith(f"http://testserver/api/auth/oidc/{slug}/callback?")
    return await browser.get(consent.headers["location"])


def refusal(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/sign-in"
    return parse_qs(location.query)["sso_error"][0]


async def audit(tenant: TenantContext, action: str) -> list[dict[str, Any]]:
    response = await tenant.client.get("/api/audit", params={"action": action}, headers=tenant.admin.headers)
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _group(tenant: TenantContext, name: str) -> str:
    response = await tenant.client.post("/api/groups", json={"name": name}, headers=tenant.admin.headers)
    assert response.status_code == 201
    return str(response.json()["id"])


async def _members(tenant: TenantContext, group_id: str) -> set[str]:
    response = await tenant.client.get(f"/api/groups/{group_id}/members", headers=tenant.admin.headers)
    return {m["email"] for m in response.json()["items"]}


async def test_first_sign_in_creates_the_user_with_groups_from_claims(
    browser: httpx.AsyncClient, tenant: TenantContext, idp: str
) -> None:
    await configure(tenant, idp)
    cab, ops = await _group(tenant, "cab"), await _group(tenant, "ops")
    email = f"alice-{uuid.uuid4().hex[:6]}@example.com"
    set_claims(idp, email, {"email": email, "name": "Alice Example", "groups": ["cab", "not-ours"]})

    started = time.perf_counter()
    done = await sso(browser, tenant.slug, email)
    elapsed_ms = (time.perf_counter() - started) * 1000
    print(f"\nSSO round trip (login redirect → IdP form → callback done): {elapsed_ms:.1f} ms")

    assert done.status_code == 302, done.text
    assert done.headers["location"] == "http://testserver/", done.headers
    me = await browser.get("/api/me")
    assert me.status_code == 200, me.text
    assert me.json()["email"] == email
    assert me.json()["display_name"] == "Alice Example"
    assert await _members(tenant, cab) == {email}
    assert await _members(tenant, ops) == set()
    # The session is the same kind as a password sign-in: state-changing calls need the CSRF token.
    csrf = browser.cookies.get("tp_csrf")
    assert csrf
    changed = await browser.patch("/api/me", json={"display_name": "Alice"}, headers={"X-CSRF-Token": csrf})
    assert changed.status_code == 200, changed.text

    created = [e for e in await audit(tenant, "user.created") if e["summary"].get("email") == email]
    assert created
    assert created[0]["summary"]["via"] == "oidc"
    signed_in = [e for e in await audit(tenant, "auth.signed_in") if e["summary"].get("via") == "oidc"]
    assert len(signed_in) == 1
    assert any(e["summary"]["group"] == "cab" for e in await audit(tenant, "group.member_added"))

    # The groups claim changes at the IdP: the next sign-in moves the user (one user, linked by subject).
    set_claims(idp, email, {"email": email, "name": "Alice Example", "groups": ["ops"]})
    started = time.perf_counter()
    assert (await sso(browser, tenant.slug, email)).status_code == 302
    print(f"SSO round trip, discovery and keys cached: {(time.perf_counter() - started) * 1000:.1f} ms")
    assert await _members(tenant, cab) == set()
    assert await _members(tenant, ops) == {email}
    assert any(e["summary"]["group"] == "cab" for e in await audit(tenant, "group.member_removed"))
    users = await tenant.client.get("/api/users", params={"q": email}, headers=tenant.admin.headers)
    assert len(users.json()["items"]) == 1


async def test_the_manager_claim_sets_the_manager(browser: httpx.AsyncClient, tenant: TenantContext, idp: str) -> None:
    await configure(tenant, idp)
    email = f"bob-{uuid.uuid4().hex[:6]}@example.com"
    set_claims(idp, email, {"email": email, "manager_email": tenant.admin.email.upper()})
    assert (await sso(browser, tenant.slug, email)).headers["location"] == "http://testserver/"
    me = await browser.get("/api/me")
    assert me.json()["manager_id"] == tenant.admin.id


async def test_an_unknown_user_is_refused_when_jit_is_off(
    browser: httpx.AsyncClient, tenant: TenantContext, idp: str
) -> None:
    await configure(tenant, idp, jit=False)
    email = f"carol-{uuid.uuid4().hex[:6]}@example.com"
    set_claims(idp, email, {"email": email})
    assert refusal(await sso(browser, tenant.slug, email)) == "unknown_user"
    assert [e["summary"]["reason"] for e in await audit(tenant, "auth.sso_refused")] == ["unknown_user"]
    assert (await browser.get("/api/me")).status_code == 401
    users = await tenant.client.get("/api/users", params={"q": email}, headers=tenant.admin.headers)
    assert users.json()["items"] == []

    # An existing user is found by e-mail (and linked) without JIT.
    existing = await tenant.user()
    set_claims(idp, "dir-" + existing.email, {"email": existing.email})
    assert (await sso(browser, tenant.slug, "dir-" + existing.email)).headers["location"] == "http://testserver/"
    assert (await browser.get("/api/me")).json()["id"] == existing.id


async def test_a_domain_outside_the_allowed_ones_is_refused(
    browser: httpx.AsyncClient, tenant: TenantContext, idp: str
) -> None:
    await configure(tenant, idp, allowed_domains=["corp.example.com"])
    email = f"dave-{uuid.uuid4().hex[:6]}@elsewhere.example.org"
    set_claims(idp, email, {"email": email})
    assert refusal(await sso(browser, tenant.slug, email)) == "domain_not_allowed"
    refused = await audit(tenant, "auth.sso_refused")
    assert [e["summary"]["reason"] for e in refused] == ["domain_not_allowed"]
    assert "elsewhere.example.org" in refused[0]["summary"]["detail"]
    users = await tenant.client.get("/api/users", params={"q": email}, headers=tenant.admin.headers)
    assert users.json()["items"] == []
    good = f"erin-{uuid.uuid4().hex[:6]}@corp.example.com"
    set_claims(idp, good, {"email": good})
    assert (await sso(browser, tenant.slug, good)).headers["location"] == "http://testserver/"


async def test_a_callback_without_its_sign_in_is_refused_not_a_500(
    browser: httpx.AsyncClient, tenant: TenantContext, idp: str
) -> None:
    await configure(tenant, idp)
    forged = await browser.get(f"/api/auth/oidc/{tenant.slug}/callback", params={"code": "x", "state": "y"})
    assert refusal(forged) == "state_mismatch"
    denied = await browser.get(f"/api/auth/oidc/{tenant.slug}/callback", params={"error": "access_denied"})
    assert refusal(denied) == "idp_refused"
    # Forged callbacks (no sign-in of ours behind them) are answered, not written to the audit log.
    assert await audit(tenant, "auth.sso_refused") == []
    assert refusal(await browser.get("/api/auth/oidc/no-such-tenant/login")) == "not_configured"


async def test_a_tenant_may_turn_password_sign_in_off_but_for_admins(
    client: httpx.AsyncClient, tenant: TenantContext, idp: str
) -> None:
    staff = await tenant.user(roles=["fulfiller"])
    await configure(tenant, idp, password_sign_in=False)
    body = {"tenant": tenant.slug, "email": staff.email, "password": PASSWORD}
    refused = await client.post("/api/auth/session", json=body)
    assert refused.status_code == 401
    assert "single sign-on" in refused.json()["detail"]
    admin = await client.post("/api/auth/session", json={**body, "email": tenant.admin.email})
    assert admin.status_code == 200, admin.text
    options = await client.get("/api/auth/providers", params={"tenant": tenant.slug})
    assert options.json() == {
        "tenant": tenant.slug,
        "sso": {"name": "Mock IdP", "login_url": f"/api/auth/oidc/{tenant.slug}/login"},
        "password_sign_in": False,
    }
    await configure(tenant, idp, password_sign_in=True)
    assert (await client.post("/api/auth/session", json=body)).status_code == 200
