"""The Slack admin page and the notification preferences panel in Chromium against a real server.

Saving the app shows its interactivity URL and keeps the secrets write-only; a preference unticked is saved to /api/me.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TENANT, BrowserPage, LiveServer
from tests.support.slack_standin import BOT_TOKEN, SIGNING_SECRET

pytestmark = pytest.mark.browser


def _me(server: LiveServer) -> dict[str, Any]:
    response = httpx.get(f"{server.url}/api/me", headers=server.admin_headers())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_an_admin_connects_slack_and_the_secrets_stay_write_only(ui: BrowserPage) -> None:
    httpx.delete(f"{ui.server.url}/api/slack/app", headers=ui.server.admin_headers())  # a fresh start
    ui.console.expect_http_error(404, "/api/slack/app")  # no app yet: the page offers to create one
    ui.sign_in()
    page = ui.page
    page.goto("/admin/slack")
    form = page.get_by_role("form", name="Slack app")
    form.get_by_label("Bot token").fill(BOT_TOKEN)
    form.get_by_label("Signing secret").fill(SIGNING_SECRET)
    form.get_by_role("button", name="Save").click()
    expect(form.get_by_role("status").first).to_contain_text("Slack app saved.")
    expect(form).to_contain_text(f"/api/slack/interactivity/{TENANT}")
    expect(form.get_by_label("Bot token")).to_have_value("")
    expect(form.get_by_role("button", name="Test")).to_be_visible()
    ui.screenshot("slack-app")
    saved = httpx.get(f"{ui.server.url}/api/slack/app", headers=ui.server.admin_headers()).json()
    assert (saved["has_bot_token"], saved["has_signing_secret"]) == (True, True)


def test_the_preferences_panel_turns_email_off_and_on(ui: BrowserPage) -> None:
    ui.sign_in()
    page = ui.page
    page.goto("/notifications")
    panel = page.get_by_role("region", name="Notification preferences")
    email = panel.get_by_label("E-mail")
    expect(email).to_be_checked()
    email.click()  # the box shows what /api/me says: it changes once the change is saved
    expect(email).not_to_be_checked()
    expect(panel.get_by_role("status").first).to_contain_text("E-mail preference saved.")
    assert _me(ui.server)["notifications"] == {"in_app": True, "email": False, "slack": True}
    email.click()
    expect(email).to_be_checked()
    expect(panel.get_by_role("status").first).to_contain_text("E-mail preference saved.")
    assert _me(ui.server)["notifications"]["email"] is True
