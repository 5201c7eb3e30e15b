"""The directory's pages in Chromium against a real server: a SCIM token made in the UI provisions a user and a group,
which the Users and Groups pages show as kept by the directory; the fallback approvers are picked; revoking works."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage

pytestmark = pytest.mark.browser
SCIM_JSON = {"Content-Type": "application/scim+json", "Accept": "application/scim+json"}
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def _scim(url: str, token: str, path: str, body: dict[str, object] | None = None) -> httpx.Response:
    headers = {**SCIM_JSON, "Authorization": f"Bearer {token}"}
    if body is None:
        return httpx.get(f"{url}/scim/v2{path}", headers=headers)
    return httpx.post(f"{url}/scim/v2{path}", json=body, headers=headers)


def test_a_token_made_here_provisions_users_the_pages_show_as_directory_kept(ui: BrowserPage) -> None:
    page, server = ui.page, ui.server
    suffix = uuid.uuid4().hex[:6]
    ui.sign_in()
    page.goto("/admin/scim")
    expect(page.get_by_role("heading", name="SCIM provisioning", level=1)).to_be_visible()
    form = page.get_by_role("form", name="New SCIM token")
    form.get_by_label("Name").fill(f"Okta {suffix}")
    form.get_by_role("button", name="Create token").click()
    secret = page.get_by_test_id("scim-secret")
    expect(secret).to_have_text(re.compile(r"^tpscim_"))
    token = secret.inner_text().strip()
    ui.screenshot("directory-01-token-shown-once")

    email = f"dana-{suffix}@acme.example.com"
    created = _scim(
        server.url, token, "/Users", {"schemas": [USER], "userName": email, "displayName": f"Dana {suffix}"}
    )
    assert created.status_code == 201, created.text
    group = _scim(
        server.url,
        token,
        "/Groups",
        {"schemas": [GROUP], "displayName": f"cab-{suffix}", "members": [{"value": created.json()["id"]}]},
    )
    assert group.status_code == 201, group.text

    # Users: the badge, and only the app roles stay editable by hand.
    page.goto("/admin/users")
    row = page.get_by_role("row").filter(has_text=email)
    expect(row.get_by_text("directory", exact=True)).to_be_visible()
    row.get_by_role("button", name=f"Edit Dana {suffix}").click()
    edit = page.get_by_role("form", name=f"Edit Dana {suffix}")
    expect(edit.get_by_label("Display name")).to_be_disabled()
    ui.screenshot("directory-02-user-kept-by-the-directory")

    # Groups: no edit, delete or membership changes here.
    page.goto("/admin/groups")
    page.get_by_role("link", name=f"cab-{suffix}").click()
    expect(page.get_by_role("heading", name=f"cab-{suffix}", level=1)).to_be_visible()
    expect(page.get_by_text("Kept by your identity provider (SCIM): change it there.")).to_be_visible()
    expect(page.get_by_role("button", name="Delete", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Edit", exact=True)).to_have_count(0)
    expect(page.get_by_role("main")).to_contain_text(email)

    # Tenant settings: the directory's group takes over a leaver's pending approvals.
    page.goto("/admin/tenant")
    page.get_by_label("Fallback approvers").select_option(label=f"cab-{suffix}")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Tenant settings saved.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Fallback approvers")).to_have_value(group.json()["id"])
    stored = httpx.get(f"{server.url}/api/tenant", headers=server.admin_headers())
    assert stored.json()["fallback_group_id"] == group.json()["id"]

    # Revoking the token in the UI stops provisioning at once.
    page.goto("/admin/scim")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Revoke Okta {suffix}").click()
    expect(page.get_by_text(f"Token “Okta {suffix}” revoked.")).to_be_visible()
    assert _scim(server.url, token, "/Users").status_code == 401
    ui.screenshot("directory-03-token-revoked")
