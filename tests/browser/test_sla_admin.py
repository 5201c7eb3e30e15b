"""Service levels in Chromium: an admin creates a business calendar (a bad zone is named beside its field), imports
its holidays from an .ics file, creates a policy on it and picks that policy in a catalog item's editor."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage

pytestmark = pytest.mark.browser

ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:xmas@test
DTSTART;VALUE=DATE:20261225
DTEND;VALUE=DATE:20261227
SUMMARY:Christmas
END:VEVENT
END:VCALENDAR
"""


def test_calendar_then_policy_then_item(ui: BrowserPage) -> None:
    tag = uuid.uuid4().hex[:6]
    page, server = ui.page, ui.server
    ui.sign_in()
    page.get_by_role("navigation").get_by_role("link", name="Service levels").click()

    page.get_by_role("button", name="New calendar").click()
    dialog = page.get_by_role("dialog", name="New business calendar")
    dialog.get_by_label("Name").fill(f"Berlin {tag}")
    dialog.get_by_label("Time zone").fill("Mars/Olympus")
    dialog.get_by_label("Friday").fill("09:00-13:00")
    ui.console.expect_http_error(422, "/api/sla/calendars")
    dialog.get_by_role("button", name="Create calendar").click()
    expect(dialog.get_by_label("Time zone")).to_have_attribute("aria-invalid", "true")
    expect(dialog).to_contain_text("is not an IANA time zone")
    dialog.get_by_label("Time zone").fill("Europe/Berlin")
    dialog.get_by_role("button", name="Create calendar").click()
    row = page.get_by_role("row").filter(has_text=f"Berlin {tag}")
    expect(row).to_contain_text("Fri 09:00-13:00")

    row.get_by_role("button", name="Import holidays").click()
    dialog = page.get_by_role("dialog", name=f"Import holidays into Berlin {tag}")
    dialog.get_by_label("iCalendar file").set_input_files(
        {"name": "holidays.ics", "mimeType": "text/calendar", "buffer": ICS}
    )
    dialog.get_by_role("button", name="Import holidays").click()
    expect(page.get_by_text(f"Berlin {tag} now has 2 holidays.")).to_be_visible()

    page.get_by_role("button", name="New policy").click()
    dialog = page.get_by_role("dialog", name="New SLA policy")
    dialog.get_by_label("Name").fill(f"Desk {tag}")
    dialog.get_by_label("Business calendar").select_option(label=f"Berlin {tag} (Europe/Berlin)")
    dialog.get_by_label("Minutes").fill("240")
    dialog.get_by_role("button", name="Add target").click()
    second = dialog.get_by_role("group", name="Target 2")
    second.get_by_label("Times").select_option("approval_step")
    second.get_by_label("Step").fill("1")
    second.get_by_label("Minutes").fill("60")
    second.get_by_label("Clock").select_option("wall")
    dialog.get_by_label("emergency").check()
    dialog.get_by_role("button", name="Create policy").click()
    row = page.get_by_role("row").filter(has_text=f"Desk {tag}")
    expect(row).to_contain_text("Resolution: 4 h business time")
    expect(row).to_contain_text("Approval step 1: 1 h wall clock")
    expect(row).to_contain_text("emergency")
    ui.screenshot("sla-admin-01-page", full_page=True)

    headers = server.admin_headers()
    item = httpx.post(f"{server.url}/api/itsm/catalog", json={"name": f"Laptop {tag}"}, headers=headers).json()
    page.goto(f"/itsm/catalog/{item['id']}")
    page.get_by_label("SLA policy").select_option(label=f"Desk {tag}")
    page.get_by_role("button", name="Save item").click()
    expect(page.get_by_text("Item saved.")).to_be_visible()
    policies = httpx.get(f"{server.url}/api/sla/policies", headers=headers).json()["items"]
    policy = next(p for p in policies if p["name"] == f"Desk {tag}")
    saved = httpx.get(f"{server.url}/api/itsm/catalog/{item['id']}", headers=headers).json()
    assert saved["sla_policy_id"] == policy["id"]
    assert {"target": "approval_step", "step": 0, "minutes": 60, "clock": "wall"} in policy["targets"]
