"""Single sign-on in Chromium: a real `tenantplane serve` (IdP host allowed through egress) and a real OpenID provider
(oidc-provider-mock) on 127.0.0.1; click "Sign in with …", fill in the IdP's form, land in the app as the JIT user."""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import oidc_provider_mock
import pytest
import werkzeug.serving
from playwright.sync_api import expect

from tests.browser.conftest import CLI, DESKTOP, LiveServer
from tests.live_server import bearer, serving

pytestmark = pytest.mark.browser

SSO_TENANT = "sso-co"
SSO_ADMIN = "admin@sso-co.example.com"
SSO_PASSWORD = "sso-admin-password"


@dataclass
class SsoSite:
    url: str
    idp: str
    headers: dict[str, str]


@pytest.fixture(scope="module")
def idp() -> Iterator[str]:
    server = werkzeug.serving.make_server("127.0.0.1", 0, oidc_provider_mock.app(require_nonce=True), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def site(live_server: LiveServer, idp: str) -> Iterator[SsoSite]:
    """A second server on the same database whose operator allows loopback egress (the IdP runs on 127.0.0.1)."""
    env = {**live_server.env, "TENANTPLANE_ALLOWED_EGRESS_HOSTS": "127.0.0.1"}
    boot = subprocess.run(
        [*CLI, "bootstrap", "--tenant", SSO_TENANT, "--admin-email", SSO_ADMIN, "--admin-password", SSO_PASSWORD],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert boot.returncode == 0, boot.stderr
    with serving(env, worker=False) as url:
        headers = bearer(url, SSO_TENANT, SSO_ADMIN, SSO_PASSWORD)
        group = httpx.post(f"{url}/api/groups", json={"name": "cab"}, headers=headers)
        assert group.status_code == 201, group.text
        yield SsoSite(url=url, idp=idp, headers=headers)


def _configure(site: SsoSite, **settings: Any) -> None:
    body = {
        "display_name": "Mock IdP",
        "issuer": site.idp,
        "client_id": "tenant-plane",
        "client_secret": "browser-client-secret",
        "groups_claim": "groups",
        "jit": True,
        **settings,
    }
    response = httpx.put(f"{site.url}/api/identity-provider", json=body, headers=site.headers)
    assert response.status_code == 200, response.text


@pytest.fixture
def page(browser: Any, site: SsoSite) -> Iterator[Any]:
    context = browser.new_context(base_url=site.url, viewport=DESKTOP)
    context.set_default_timeout(10_000)
    errors: list[str] = []
    opened = context.new_page()
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == []


def test_signing_in_through_the_identity_provider_creates_the_user(page: Any, site: SsoSite) -> None:
    _configure(site)
    email = "grace@sso.example.com"
    claims = {"email": email, "name": "Grace Hopper", "groups": ["cab"]}
    assert httpx.put(f"{site.idp}/users/{quote(email, safe='')}", json=claims).status_code == 204

    page.goto(f"/sign-in?tenant={SSO_TENANT}")
    page.get_by_role("link", name="Sign in with Mock IdP").click()
    expect(page).to_have_url(re.compile(re.escape(site.idp) + r"/oauth2/authorize"))
    page.locator("input[name=sub]").fill(email)
    page.get_by_role("button", name="Authorize").click()

    page.get_by_role("banner").get_by_role("button", name="Sign out").wait_for()
    expect(page).to_have_url(re.compile(re.escape(site.url) + r"/$"))
    me = page.context.request.get("/api/me")
    assert me.status == 200
    assert me.json()["email"] == email
    assert me.json()["display_name"] == "Grace Hopper"
    users = httpx.get(f"{site.url}/api/users", params={"q": email}, headers=site.headers).json()["items"]
    members = httpx.get(f"{site.url}/api/groups", params={"q": "cab"}, headers=site.headers).json()["items"]
    assert [u["email"] for u in users] == [email]
    group_members = httpx.get(f"{site.url}/api/groups/{members[0]['id']}/members", headers=site.headers).json()
    assert [m["email"] for m in group_members["items"]] == [email]


def test_the_password_form_hides_when_the_tenant_turns_it_off(page: Any, site: SsoSite) -> None:
    _configure(site, password_sign_in=False)
    try:
        page.goto(f"/sign-in?tenant={SSO_TENANT}")
        expect(page.get_by_role("link", name="Sign in with Mock IdP")).to_be_visible()
        expect(page.get_by_label("Password")).to_have_count(0)
        page.get_by_role("button", name="Administrator sign-in").click()
        page.get_by_label("Email").fill(SSO_ADMIN)
        page.get_by_label("Password").fill(SSO_PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.get_by_role("banner").get_by_role("button", name="Sign out").wait_for()
    finally:
        _configure(site)


def test_a_refused_sign_in_says_why(page: Any, site: SsoSite) -> None:
    _configure(site, allowed_domains=["corp.example.com"])
    try:
        email = "mallory@elsewhere.example.org"
        assert httpx.put(f"{site.idp}/users/{quote(email, safe='')}", json={"email": email}).status_code == 204
        page.goto(f"/sign-in?tenant={SSO_TENANT}")
        page.get_by_role("link", name="Sign in with Mock IdP").click()
        page.locator("input[name=sub]").fill(email)
        page.get_by_role("button", name="Authorize").click()
        expect(page.get_by_role("alert")).to_contain_text("e-mail domain may not sign in")
    finally:
        _configure(site)
