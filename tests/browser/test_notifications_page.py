"""The in-app notifications inbox in Chromium against a real server: the header's unread count, the page, following
a notification's link (which marks it read) and "Mark all read".

The notifications come from the real API: the admin submits a service request (the platform tells its requester that
it changed) and sends an in-app channel's test to themself. Screenshot: test-artifacts/screenshots/notifications.png.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage, LiveServer

pytestmark = pytest.mark.browser


def _call(server: LiveServer, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = httpx.request(method, f"{server.url}{path}", json=body, headers=server.admin_headers())
    assert response.status_code in (200, 201, 202), response.text
    return response.json()


def _unread(server: LiveServer) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = _call(server, "GET", "/api/notifications?unread=true&limit=200")["items"]
    return items


def _send_channel_test(server: LiveServer) -> None:
    """An in-app channel to the admin, and its "send test": one notification without a link."""
    me = _call(server, "GET", "/api/me")
    channel = _call(
        server,
        "POST",
        "/api/notifications/channels",
        {"name": f"Admin inbox {uuid.uuid4().hex[:6]}", "type": "in_app", "config": {"users": [me["id"]]}},
    )
    _call(server, "POST", f"/api/notifications/channels/{channel['id']}/test")


def _submit_request(server: LiveServer) -> dict[str, Any]:
    """A catalog item without approvals, requested by the admin: its status changes notify the admin."""
    item = _call(
        server,
        "POST",
        "/api/itsm/catalog",
        {
            "name": f"Headset {uuid.uuid4().hex[:6]}",
            "description": "A headset for calls.",
            "category": "Hardware",
            "variables": [],
            "fulfillment_type": "manual",
        },
    )
    request: dict[str, Any] = _call(
        server, "POST", "/api/itsm/requests", {"catalog_item_id": item["id"], "variables": {}}
    )
    return request


def test_the_header_counts_unread_notifications_and_the_page_marks_them_read(ui: BrowserPage) -> None:
    server = ui.server
    _call(server, "POST", "/api/notifications/read-all")  # other tests of the package notify the admin too
    _send_channel_test(server)
    request = _submit_request(server)
    unread = _unread(server)
    link = f"/portal/requests/{request['id']}"
    about_request = [n for n in unread if n["link"] == link]
    assert about_request, unread
    newest = about_request[0]
    count = len(unread)

    ui.sign_in()
    page = ui.page
    banner = page.get_by_role("banner")
    header_link = banner.get_by_role("link", name=f"Notifications, {count} unread")
    expect(header_link).to_be_visible()
    expect(header_link).to_contain_text(str(count))

    header_link.click()
    expect(page).to_have_url(re.compile(r"/notifications$"))
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    inbox = page.get_by_role("list", name="Notifications")
    # Read ones from other tests of the package may be listed too: count the unread.
    expect(inbox.get_by_role("article", name=re.compile(r"^Unread: "))).to_have_count(count)
    test_entry = inbox.get_by_role("article", name=re.compile(r"^Unread: Test notification from Tenant Plane"))
    expect(test_entry).to_contain_text("This is a test of the notification channel")
    expect(test_entry).to_contain_text("just now")
    expect(test_entry.get_by_role("link")).to_have_count(0)  # the channel test carries no link
    entry = inbox.get_by_role("article", name=f"Unread: {newest['subject']}")
    expect(entry).to_contain_text(newest["body"])
    ui.screenshot("notifications")

    # Following the link opens the request and marks that notification read.
    entry.get_by_role("link", name=f"Open: {newest['subject']}").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(link)}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(request["number"]))
    expect(banner.get_by_role("link", name=f"Notifications, {count - 1} unread")).to_be_visible()

    page.go_back()
    expect(page).to_have_url(re.compile(r"/notifications$"))
    read_entry = inbox.get_by_role("article", name=newest["subject"], exact=True)
    expect(read_entry).to_be_visible()
    expect(read_entry.get_by_role("button", name=re.compile("^Mark read"))).to_have_count(0)
    assert all(n["id"] != newest["id"] for n in _unread(server))

    # "Mark all read" for the rest zeroes the header's count.
    page.get_by_role("button", name="Mark all read").click()
    expect(page.get_by_role("status").filter(has_text=f"{count - 1} notification")).to_contain_text("marked read")
    expect(banner.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    expect(banner.get_by_role("link", name="Notifications", exact=True)).not_to_contain_text(re.compile(r"\d"))
    expect(page.get_by_role("button", name="Mark all read")).to_be_disabled()
    expect(inbox.get_by_role("button", name=re.compile("^Mark read"))).to_have_count(0)
    assert _unread(server) == []

    page.get_by_role("button", name="Unread only").click()
    expect(page.get_by_text("You are all caught up")).to_be_visible()


def test_mark_read_marks_one_notification_read(ui: BrowserPage) -> None:
    server = ui.server
    _call(server, "POST", "/api/notifications/read-all")
    _send_channel_test(server)

    ui.sign_in()
    page = ui.page
    banner = page.get_by_role("banner")
    banner.get_by_role("link", name="Notifications, 1 unread").click()
    entry = page.get_by_role("article", name="Unread: Test notification from Tenant Plane")
    entry.get_by_role("button", name="Mark read: Test notification from Tenant Plane").click()
    expect(entry).to_have_count(0)
    expect(page.get_by_role("article", name="Test notification from Tenant Plane", exact=True).first).to_be_visible()
    expect(banner.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    assert _unread(server) == []


def test_on_a_phone_the_header_link_shows_the_count_and_works_from_the_keyboard(phone_ui: BrowserPage) -> None:
    server = phone_ui.server
    _call(server, "POST", "/api/notifications/read-all")
    _send_channel_test(server)

    phone_ui.sign_in()
    page = phone_ui.page
    header_link = page.get_by_role("banner").get_by_role("link", name="Notifications, 1 unread")
    expect(header_link).to_be_visible()
    expect(header_link).to_contain_text("1")
    menu_box = page.get_by_role("button", name="Menu").bounding_box()
    link_box = header_link.bounding_box()
    assert menu_box is not None
    assert link_box is not None
    assert abs(menu_box["y"] - link_box["y"]) < menu_box["height"], "the header wrapped onto a second line"
    header_link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/notifications$"))
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone_ui.screenshot("notifications-phone", full_page=True)


def test_load_more_shows_older_notifications(ui: BrowserPage) -> None:
    server = ui.server
    _call(server, "POST", "/api/notifications/read-all")
    for _ in range(21):  # one more than a page
        _send_channel_test(server)

    ui.sign_in()
    page = ui.page
    page.get_by_role("banner").get_by_role("link", name="Notifications, 21 unread").click()
    entries = page.get_by_role("list", name="Notifications").get_by_role("listitem")
    expect(entries).to_have_count(20)
    page.get_by_role("button", name="Load more").click()
    expect(entries.nth(20)).to_be_visible()
    assert entries.count() > 20
