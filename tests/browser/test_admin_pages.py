"""The web UI in Chromium against a real server: sign-in, admin pages, validation errors, sign-out, routing.

Screenshots of the key steps land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re

import httpx
import psycopg
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN_EMAIL, TENANT, TENANT_NAME, BrowserPage, LiveServer

pytestmark = pytest.mark.browser


def _create_user(server: LiveServer, email: str, name: str, password: str, roles: list[str]) -> str:
    response = httpx.post(
        f"{server.url}/api/users",
        json={"email": email, "display_name": name, "password": password, "roles": roles},
        headers=server.admin_headers(),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_signing_in_with_the_keyboard_shows_the_tenant_and_every_admin_page(ui: BrowserPage) -> None:
    page = ui.page
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    ui.screenshot("01-sign-in")
    page.get_by_label("Tenant").focus()
    page.keyboard.type(TENANT)
    page.keyboard.press("Tab")
    page.keyboard.type(ADMIN_EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(ui.server.admin_password)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text(TENANT_NAME)
    nav = page.get_by_role("navigation", name="Main")
    for label in ("Dashboard", "Users", "Groups", "Roles", "Audit log", "Jobs", "Tenant settings"):
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Job queue")).to_be_visible()
    ui.screenshot("02-dashboard")


def test_a_requester_sees_no_administration(ui: BrowserPage) -> None:
    _create_user(ui.server, "riley@acme.example.com", "Riley Requester", "requester-password", [])
    ui.sign_in("riley@acme.example.com", "requester-password")
    page = ui.page
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Dashboard")).to_be_visible()
    expect(nav.get_by_role("link", name="Users")).to_have_count(0)
    expect(nav.get_by_role("link", name="Audit log")).to_have_count(0)
    expect(page.get_by_role("heading", name="Job queue")).to_have_count(0)

    page.goto("/admin/users")
    expect(page.get_by_role("heading", name="Not allowed", level=1)).to_be_visible()
    expect(page.get_by_text("users.read")).to_be_visible()


def test_creating_a_user_shows_the_api_error_beside_the_field_then_lists_and_audits_the_user(ui: BrowserPage) -> None:
    ui.sign_in()
    page = ui.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users", level=1)).to_be_visible()

    page.get_by_role("button", name="New user").click()
    dialog = page.get_by_role("dialog", name="New user")
    expect(dialog.get_by_label("Email")).to_be_focused()
    dialog.get_by_label("Email").fill("dana@acme.example.com")
    dialog.get_by_label("Display name").fill("Dana Scully")
    password = dialog.get_by_label("Password", exact=True)
    password.fill("short")
    dialog.get_by_role("checkbox", name="fulfiller").check()
    ui.console.expect_http_error(422, "/api/users")
    dialog.get_by_role("button", name="Create user").click()

    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_be_focused()
    expect(password).to_have_accessible_description(re.compile("at least 8 characters"))
    expect(dialog.get_by_role("alert")).to_contain_text("One field needs attention.")
    expect(dialog.get_by_label("Email")).not_to_have_attribute("aria-invalid", "true")
    ui.screenshot("03-create-user-inline-error")

    password.fill("a-long-enough-password")
    dialog.get_by_role("button", name="Create user").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status").filter(has_text="created")).to_have_text(
        re.compile("User dana@acme.example.com created.")
    )
    row = page.get_by_role("row").filter(has_text="dana@acme.example.com")
    expect(row).to_contain_text("Dana Scully")
    expect(row).to_contain_text("fulfiller")
    expect(row).to_contain_text("Active")
    ui.screenshot("04-user-created")

    page.get_by_label("Search").fill("dana")
    expect(page.get_by_role("row")).to_have_count(2)  # the header and Dana

    page.get_by_role("button", name="Edit Dana Scully").click()
    edit = page.get_by_role("dialog", name="Edit Dana Scully")
    edit.get_by_label("Add a role label").fill("cab")
    edit.get_by_label("Add a role label").press("Enter")
    expect(edit.get_by_role("checkbox", name="cab")).to_be_checked()
    edit.get_by_label("Active (can sign in)").uncheck()
    edit.get_by_role("button", name="Save changes").click()
    expect(edit).to_be_hidden()
    expect(row).to_contain_text("cab")
    expect(row).to_contain_text("Inactive")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    page.get_by_label("Action").fill("user.created")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"/admin/audit\?action=user.created$"))
    event = page.get_by_role("row").filter(has_text="dana@acme.example.com")
    expect(event).to_contain_text("user.created")
    expect(event).to_contain_text(ADMIN_EMAIL)
    expect(page.get_by_role("row").filter(has_text="user.updated")).to_have_count(0)
    ui.screenshot("05-audit-user-created", full_page=True)


def test_signing_out_ends_the_session_and_sign_in_returns_to_the_page_asked_for(ui: BrowserPage) -> None:
    ui.sign_in()
    page = ui.page
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in\?signed_out=1$"))
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] in ("tp_session", "tp_csrf")]
    ui.screenshot("06-signed-out")

    page.goto("/admin/roles")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fadmin%2Froles$"))
    page.get_by_label("Tenant").fill(TENANT)
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ui.server.admin_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/roles$"))
    expect(page.get_by_role("heading", name="Roles", level=1)).to_be_visible()


def test_reloading_a_deep_link_keeps_the_page_and_its_filters(ui: BrowserPage) -> None:
    ui.sign_in()
    page = ui.page
    page.goto("/admin/users?q=admin")
    expect(page.get_by_role("heading", name="Users", level=1)).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Users", level=1)).to_be_visible()
    expect(page.get_by_label("Search")).to_have_value("admin")
    expect(page.get_by_role("row").filter(has_text=ADMIN_EMAIL)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Users")).to_have_attribute(
        "aria-current", "page"
    )
    ui.screenshot("07-deep-link-reloaded")


def test_an_unknown_route_shows_the_not_found_page(ui: BrowserPage) -> None:
    ui.sign_in()
    page = ui.page
    page.goto("/admin/no-such-page")
    expect(page.get_by_role("heading", name="Page not found", level=1)).to_be_visible()
    expect(page.get_by_text("/admin/no-such-page")).to_be_visible()
    ui.screenshot("08-not-found")
    page.get_by_role("link", name="Go to the dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()


def test_workflow_redirects_to_workflows(ui: BrowserPage) -> None:
    response = httpx.get(f"{ui.server.url}/workflow?view=list", follow_redirects=False)
    assert response.status_code == 308
    assert response.headers["location"] == "/workflows?view=list"

    ui.sign_in()
    page = ui.page
    page.goto("/workflow")
    expect(page).to_have_url(re.compile(r"/workflows$"))
    expect(page.get_by_role("heading", name="Automation workflows", level=1)).to_be_visible()


def test_group_members_are_added_and_removed_with_the_user_picker(ui: BrowserPage) -> None:
    _create_user(ui.server, "erin@acme.example.com", "Erin Reyes", "erin-password-1", ["fulfiller"])
    ui.sign_in()
    page = ui.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Groups").click()
    page.get_by_role("button", name="New group").click()
    dialog = page.get_by_role("dialog", name="New group")
    dialog.get_by_label("Name").fill("Change Advisory Board")
    dialog.get_by_label("Description").fill("Approves normal changes")
    dialog.get_by_role("button", name="Create group").click()
    expect(dialog).to_be_hidden()

    page.get_by_role("link", name="Change Advisory Board").click()
    expect(page.get_by_role("heading", name="Change Advisory Board", level=1)).to_be_visible()
    expect(page.get_by_text("This group has no members yet")).to_be_visible()
    page.get_by_role("searchbox", name="Add a member").fill("erin")
    expect(page.get_by_role("status").filter(has_text="shown")).to_have_text("1 user shown.")
    page.get_by_role("button", name="Add Erin Reyes (erin@acme.example.com)").click()
    expect(page.get_by_role("status").filter(has_text="added")).to_contain_text("Erin Reyes added")
    members = page.get_by_role("table")
    expect(members.get_by_role("row").filter(has_text="erin@acme.example.com")).to_be_visible()
    ui.screenshot("09-group-members")

    page.get_by_role("button", name="Remove Erin Reyes from Change Advisory Board").click()
    expect(page.get_by_text("This group has no members yet")).to_be_visible()


def test_a_dead_job_is_counted_on_the_dashboard_and_only_it_offers_retry(ui: BrowserPage) -> None:
    with psycopg.connect(ui.server.database_url, autocommit=True) as conn:
        conn.execute(
            """
            INSERT INTO jobs (tenant_id, kind, status, attempts, max_attempts, last_error)
            SELECT id, 'browser.dead', 'dead', 5, 5, 'ConnectionRefusedError: smtp.example.com:25'
            FROM tenants WHERE slug = %(slug)s
            UNION ALL
            SELECT id, 'browser.done', 'succeeded', 1, 5, NULL FROM tenants WHERE slug = %(slug)s
            """,
            {"slug": TENANT},
        )
    ui.sign_in()
    page = ui.page
    expect(page.locator(".metric-value")).to_have_text("1")
    page.get_by_role("link", name="Review dead jobs").click()
    expect(page).to_have_url(re.compile(r"/admin/jobs\?status=dead$"))
    expect(page.get_by_label("Status")).to_have_value("dead")
    dead = page.get_by_role("row").filter(has_text="browser.dead")
    expect(dead).to_contain_text("ConnectionRefusedError")

    page.get_by_label("Status").select_option("")
    done = page.get_by_role("row").filter(has_text="browser.done")
    expect(done).to_contain_text("succeeded")
    expect(done.get_by_role("button")).to_have_count(0)
    ui.screenshot("10-jobs")

    dead.get_by_role("button", name="Retry browser.dead job").click()
    expect(page.get_by_role("status").filter(has_text="queued again")).to_be_visible()
    expect(dead).to_contain_text("queued")
    expect(dead.get_by_role("button")).to_have_count(0)


def test_tenant_settings_save_the_egress_allow_list(ui: BrowserPage) -> None:
    ui.sign_in()
    page = ui.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tenant settings").click()
    allow_list = page.get_by_label("Egress allow-list")
    allow_list.fill("Hooks.Example.com\n\n10.0.0.0/8\n")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status").filter(has_text="saved")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Egress allow-list")).to_have_value("10.0.0.0/8\nhooks.example.com")
    ui.screenshot("11-tenant-settings")


def test_on_a_phone_the_navigation_is_a_menu_and_nothing_scrolls_sideways(phone_ui: BrowserPage) -> None:
    phone_ui.sign_in()
    page = phone_ui.page
    nav = page.get_by_role("navigation", name="Main")
    menu = page.get_by_role("button", name="Menu")
    expect(nav).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    nav.get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users", level=1)).to_be_visible()
    expect(nav).to_be_hidden()
    expect(page.get_by_role("row").filter(has_text=ADMIN_EMAIL)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone_ui.screenshot("12-phone-users", full_page=True)

    page.get_by_role("button", name="New user").click()
    expect(page.get_by_role("dialog", name="New user")).to_be_visible()
    phone_ui.screenshot("13-phone-new-user")
