"""The pinned fulfillment in Chromium: the approver's inbox card shows the runbook, its version and the rendered
parameters; a fulfiller retries a failed runbook fulfillment from the request page.

The server runs no worker: a fulfillment fails here because its queued run is cancelled through the API.
"""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage, LiveServer

pytestmark = pytest.mark.browser

PASSWORD = "pins-password-1"


def _post(server: LiveServer, path: str, body: dict[str, object]) -> dict[str, object]:
    response = httpx.post(f"{server.url}{path}", json=body, headers=server.admin_headers())
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def _user(server: LiveServer, tag: str, name: str, roles: list[str]) -> str:
    email = f"{name.lower()}-{tag}@acme.example.com"
    _post(server, "/api/users", {"email": email, "display_name": f"{name} {tag}", "password": PASSWORD, "roles": roles})
    return email


def _runbook_item(server: LiveServer, tag: str, definition_id: str | None) -> tuple[str, str]:
    runbook = _post(
        server,
        "/api/runbooks",
        {
            "name": f"Create account {tag}",
            "parameters": {"type": "object", "properties": {"username": {"type": "string"}}},
            "actions": [{"name": "create", "type": "shell", "script": "echo created"}],
        },
    )
    item = _post(
        server,
        "/api/itsm/catalog",
        {
            "name": f"Account {tag}",
            "variables": [{"name": "username", "label": "User name", "type": "string", "required": True}],
            "workflow_definition_id": definition_id,
            "fulfillment_type": "runbook",
            "fulfillment_config": {"runbook_id": runbook["id"], "parameters": {"username": "{{ variables.username }}"}},
        },
    )
    return str(runbook["name"]), str(item["id"])


def _submit(server: LiveServer, item_id: str) -> dict[str, object]:
    body = {"catalog_item_id": item_id, "variables": {"username": "grace-h"}}
    response = httpx.post(f"{server.url}/api/itsm/requests", json=body, headers=server.admin_headers())
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def test_the_approvers_card_shows_the_pinned_runbook_version_and_parameters(ui: BrowserPage) -> None:
    tag = uuid.uuid4().hex[:6]
    cab = _user(ui.server, tag, "Cab", ["cab"])
    definition = _post(
        ui.server,
        "/api/workflows/definitions",
        {
            "name": f"CAB {tag}",
            "steps": [{"name": "CAB", "order": 1, "approver_type": "role", "approver_value": "cab"}],
        },
    )
    runbook_name, item_id = _runbook_item(ui.server, tag, str(definition["id"]))
    number = str(_submit(ui.server, item_id)["number"])

    ui.sign_in(cab, PASSWORD)
    ui.page.goto("/approvals")
    card = ui.page.get_by_role("article").filter(has_text=number)
    fulfillment = card.get_by_label("Fulfillment")
    expect(fulfillment).to_contain_text(f"Runbook “{runbook_name}” v1")
    expect(fulfillment).to_contain_text("grace-h")
    ui.screenshot("itsm-pins-01-inbox-card")


def test_a_fulfiller_retries_a_failed_runbook_fulfillment_from_the_request_page(ui: BrowserPage) -> None:
    tag = uuid.uuid4().hex[:6]
    fulfiller = _user(ui.server, tag, "Fulfiller", ["fulfiller"])
    _, item_id = _runbook_item(ui.server, tag, None)
    request = _submit(ui.server, item_id)
    cancelled = httpx.post(
        f"{ui.server.url}/api/executions/{request['fulfillment_execution_id']}/cancel",
        headers=ui.server.admin_headers(),
    )
    assert cancelled.status_code == 202, cancelled.text

    ui.sign_in(fulfiller, PASSWORD)
    ui.page.goto(f"/portal/requests/{request['id']}")
    expect(ui.page.get_by_role("heading", level=1)).to_contain_text(str(request["number"]))
    retry = ui.page.get_by_role("button", name="Retry fulfillment")
    expect(retry).to_be_visible()
    retry.click()
    expect(ui.page.get_by_role("status").filter(has_text="retried")).to_be_visible()
    expect(ui.page.get_by_role("button", name="Retry fulfillment")).to_have_count(0)
    timeline = ui.page.get_by_role("list", name="Timeline")
    expect(timeline).to_contain_text(re.compile(r"Fulfillment retried by Fulfiller \w+ \(run 2\)"))
    ui.screenshot("itsm-pins-02-retried")
