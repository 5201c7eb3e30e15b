"""Workflow triggers in Chromium against a real server: on a saved workflow's builder page an admin adds a schedule
(a bad cron is refused beside its field, the fixed one is listed with its next fire time), disables and enables it,
adds a webhook whose secret URL is shown once, fires that URL from outside (202, an execution of the workflow
exists, caused by "inbound webhook (nobody)"), and deletes the webhook (its URL stops working).

The workflow is created through the API. Screenshot: workflow-triggers.png in test-artifacts/screenshots.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage

pytestmark = pytest.mark.browser


def _triggers(ui: BrowserPage, workflow_id: str) -> list[dict[str, Any]]:
    server = ui.server
    response = httpx.get(f"{server.url}/api/workflows/{workflow_id}/triggers", headers=server.admin_headers())
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_an_admin_schedules_toggles_hooks_fires_and_deletes_a_workflows_triggers(ui: BrowserPage) -> None:
    server = ui.server
    tag = uuid.uuid4().hex[:6]
    created = httpx.post(
        f"{server.url}/api/workflows",
        json={"name": f"Nightly cleanup {tag}", "steps": [{"id": "pause", "type": "delay", "config": {"seconds": 1}}]},
        headers=server.admin_headers(),
    )
    assert created.status_code == 201, created.text
    workflow_id = created.json()["id"]
    triggers_path = f"/api/workflows/{workflow_id}/triggers"

    page = ui.page
    ui.sign_in()
    page.goto(f"/workflows/{workflow_id}")
    section = page.get_by_role("region", name="Triggers")
    expect(section.get_by_text("No triggers")).to_be_visible()

    # A schedule with a bad cron: the API's message appears beside the cron field.
    section.get_by_role("button", name="Add trigger").click()
    dialog = page.get_by_role("dialog", name="Add a trigger")
    expect(dialog.get_by_label("Kind")).to_have_value("schedule")
    cron = dialog.get_by_label(re.compile(r"^Cron expression"))
    cron.fill("every five minutes")
    dialog.get_by_label("Time zone").select_option("Europe/Berlin")
    ui.console.expect_http_error(422, triggers_path)
    dialog.get_by_role("button", name="Add trigger").click()
    expect(cron).to_have_attribute("aria-invalid", "true")
    expect(cron).to_have_accessible_description(re.compile(r"must be a valid five-field cron expression"))
    expect(cron).to_be_focused()
    assert _triggers(ui, workflow_id) == []

    # Fixed: listed in words, with its next fire time.
    cron.fill("*/5 * * * *")
    dialog.get_by_role("button", name="Add trigger").click()
    expect(dialog).to_be_hidden()
    schedule = section.get_by_role("row", name="Schedule: Every 5 min (*/5 * * * *, Europe/Berlin)")
    expect(schedule).to_be_visible()
    next_fire = schedule.locator('td[data-label="Next fire"] time')
    expect(next_fire).to_be_visible()
    [stored] = _triggers(ui, workflow_id)
    assert stored["config"] == {"cron": "*/5 * * * *", "timezone": "Europe/Berlin"}
    assert stored["enabled"] is True
    assert stored["next_fire_at"] is not None
    expect(next_fire).to_have_attribute("datetime", re.compile(r"^\d{4}-\d{2}-\d{2}T"))

    # Disable: no next fire; enable again: armed from now.
    switch = schedule.get_by_role("switch")
    expect(switch).to_be_checked()
    switch.click()
    expect(switch).not_to_be_checked()
    expect(schedule.locator('td[data-label="Next fire"]')).to_have_text("disabled")
    [stored] = _triggers(ui, workflow_id)
    assert stored["enabled"] is False
    assert stored["next_fire_at"] is None
    switch.click()
    expect(switch).to_be_checked()
    expect(next_fire).to_be_visible()
    [stored] = _triggers(ui, workflow_id)
    assert stored["enabled"] is True
    assert stored["next_fire_at"] is not None

    # A webhook: its full secret URL is shown once, with a curl example.
    section.get_by_role("button", name="Add trigger").click()
    dialog = page.get_by_role("dialog", name="Add a trigger")
    dialog.get_by_label("Kind").select_option("webhook")
    dialog.get_by_role("button", name="Add trigger").click()
    created_dialog = page.get_by_role("dialog", name="Webhook created")
    expect(created_dialog.get_by_text("This URL is shown only once.")).to_be_visible()
    url_field = created_dialog.get_by_label("Webhook URL")
    expect(url_field).to_have_value(re.compile(rf"^{re.escape(server.url)}/api/hooks/[A-Za-z0-9_-]{{20,}}$"))
    hook_url = url_field.input_value()
    expect(created_dialog.get_by_label("curl example")).to_contain_text(hook_url)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    created_dialog.get_by_role("button", name="Copy").click()
    expect(created_dialog.get_by_text("Copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == hook_url
    created_dialog.get_by_role("button", name="I have copied it").click()
    expect(created_dialog).to_be_hidden()
    webhook = section.get_by_role("row", name="Webhook: When its secret URL receives a POST")
    expect(webhook).to_be_visible()
    assert hook_url not in page.content()  # gone from the page once the dialog closed
    listed = _triggers(ui, workflow_id)
    assert [t["kind"] for t in listed] == ["schedule", "webhook"]
    assert all(t["url"] is None for t in listed)  # the API never shows the URL again either

    # Fired from outside: 202, and an execution of this workflow exists.
    fired = httpx.post(hook_url, json={"host": "web-1"})
    assert fired.status_code == 202, fired.text
    execution = httpx.get(f"{server.url}/api/executions/{fired.json()['execution_id']}", headers=server.admin_headers())
    assert execution.status_code == 200, execution.text
    assert execution.json()["workflow_id"] == workflow_id
    assert execution.json()["kind"] == "workflow"
    page.reload()
    expect(webhook.locator('td[data-label="Last fired"] time')).to_be_visible()
    expect(schedule.locator('td[data-label="Last fired"]')).to_have_text("never")
    section.scroll_into_view_if_needed()
    ui.screenshot("workflow-triggers")
    expect(schedule.locator('td[data-label="Owner"]')).to_have_text("you")  # who created or last changed it

    # Nobody caused a webhook's run (anyone with the URL may call it), and its execution view says so.
    page.goto(f"/executions/{fired.json()['execution_id']}")
    expect(page.get_by_test_id("caused-by")).to_have_text("inbound webhook (nobody)")
    page.go_back()

    # Delete the webhook (after a confirmation): gone from the list, and its URL no longer starts anything.
    webhook.get_by_role("button", name="Delete").click()
    confirm = page.get_by_role("dialog", name="Delete this trigger?")
    confirm.get_by_role("button", name="Keep it").click()
    expect(webhook).to_be_visible()
    webhook.get_by_role("button", name="Delete").click()
    confirm.get_by_role("button", name="Delete").click()
    expect(webhook).to_have_count(0)
    expect(page.get_by_text("Trigger deleted.")).to_be_visible()
    expect(schedule).to_be_visible()
    assert [t["kind"] for t in _triggers(ui, workflow_id)] == ["schedule"]
    assert httpx.post(hook_url, json={}).status_code == 404


def test_an_itsm_event_trigger_picks_its_catalog_item_and_is_edited(ui: BrowserPage) -> None:
    server = ui.server
    tag = uuid.uuid4().hex[:6]
    headers = server.admin_headers()
    workflow = httpx.post(
        f"{server.url}/api/workflows",
        json={"name": f"Onboard {tag}", "steps": [{"id": "pause", "type": "delay", "config": {"seconds": 1}}]},
        headers=headers,
    )
    assert workflow.status_code == 201, workflow.text
    workflow_id = workflow.json()["id"]
    item_name = f"New account {tag}"
    item = httpx.post(
        f"{server.url}/api/itsm/catalog",
        json={"name": item_name, "description": "An account.", "category": "Access", "fulfillment_type": "manual"},
        headers=headers,
    )
    assert item.status_code == 201, item.text
    item_id = item.json()["id"]

    page = ui.page
    ui.sign_in()
    page.goto(f"/workflows/{workflow_id}")
    section = page.get_by_role("region", name="Triggers")
    section.get_by_role("button", name="Add trigger").click()
    dialog = page.get_by_role("dialog", name="Add a trigger")
    dialog.get_by_label("Kind").select_option("itsm_event")
    dialog.get_by_label("Event").select_option("itsm.request.fulfilled")
    dialog.get_by_label("Catalog item").select_option(label=item_name)
    inputs = dialog.get_by_label("Inputs (JSON, optional)")
    inputs.fill("{user: nope}")
    dialog.get_by_role("button", name="Add trigger").click()
    expect(inputs).to_have_accessible_description(re.compile("Not valid JSON."))
    inputs.fill('{"user": "{{ request.variables.username }}"}')
    dialog.get_by_role("button", name="Add trigger").click()
    expect(dialog).to_be_hidden()
    row = section.get_by_role("row", name=f"ITSM event: When a service request is fulfilled (catalog item {item_name})")
    expect(row).to_be_visible()
    expect(row.locator('td[data-label="Next fire"]')).to_have_text("on event")
    [stored] = _triggers(ui, workflow_id)
    assert stored["config"] == {
        "event": "itsm.request.fulfilled",
        "catalog_item_id": item_id,
        "inputs": {"user": "{{ request.variables.username }}"},
    }

    # Edit: a change event has no catalog item; the config is replaced whole.
    row.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit the trigger")
    expect(dialog.get_by_label("Catalog item")).to_have_value(item_id)
    dialog.get_by_label("Event").select_option("itsm.change.approved")
    expect(dialog.get_by_label("Catalog item")).to_have_count(0)
    dialog.get_by_role("button", name="Save trigger").click()
    expect(dialog).to_be_hidden()
    expect(section.get_by_role("row", name="ITSM event: When a change is approved")).to_be_visible()
    [stored] = _triggers(ui, workflow_id)
    assert stored["config"] == {"event": "itsm.change.approved", "inputs": {"user": "{{ request.variables.username }}"}}
