"""What escalation did is shown where people decide: an ITSM step escalated to the approver's manager says so on
the request page and the manager's approval card, and an automation gate lists its reminders and escalation.

A real worker runs the timers (escalate after 1 s); everything checked is what Chromium renders.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage, LiveServer

pytestmark = pytest.mark.browser

PASSWORD = "escalation-password-1"


def _post(server: LiveServer, path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = httpx.post(f"{server.url}{path}", json=body, headers=server.admin_headers())
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def _get(server: LiveServer, path: str) -> Any:
    response = httpx.get(f"{server.url}{path}", headers=server.admin_headers())
    assert response.status_code == 200, response.text
    return response.json()


def _user(server: LiveServer, tag: str, name: str, manager_id: str | None = None) -> tuple[str, str]:
    email = f"{name.lower()}-{tag}@acme.example.com"
    body: dict[str, Any] = {"email": email, "display_name": f"{name} {tag}", "password": PASSWORD, "roles": []}
    if manager_id:
        body["manager_id"] = manager_id
    return email, str(_post(server, "/api/users", body)["id"])


def _eventually(check: Callable[[], Any], what: str, timeout: float = 40) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_an_escalated_step_and_gate_say_so_to_the_manager(
    ui: BrowserPage, live_server: LiveServer, worker: subprocess.Popen[bytes]
) -> None:
    tag = uuid.uuid4().hex[:6]
    boss_email, boss_id = _user(live_server, tag, "Bea")
    _lead_email, lead_id = _user(live_server, tag, "Leo", manager_id=boss_id)
    definition = _post(
        live_server,
        "/api/workflows/definitions",
        {
            "name": f"Lead, escalated {tag}",
            "steps": [
                {
                    "name": "Lead",
                    "order": 1,
                    "approver_type": "user",
                    "approver_value": lead_id,
                    "escalate_after": 1,
                    "escalate_to": "manager",
                }
            ],
        },
    )
    item = _post(
        live_server,
        "/api/itsm/catalog",
        {"name": f"Badge {tag}", "workflow_definition_id": definition["id"], "fulfillment_type": "manual"},
    )
    request = _post(live_server, "/api/itsm/requests", {"catalog_item_id": item["id"], "variables": {}})
    instance_id = request["approval_instance_id"]
    _eventually(
        lambda: _get(live_server, f"/api/workflows/instances/{instance_id}")["step_results"][0].get("escalation"),
        "the ITSM step's escalation",
    )
    workflow = _post(
        live_server,
        "/api/workflows",
        {
            "name": f"Restart {tag}",
            "steps": [
                {
                    "id": "sign-off",
                    "type": "approval",
                    "name": "sign off",
                    "config": {
                        "approvers": [{"type": "user", "value": lead_id}],
                        "message": f"Restart the cluster {tag}?",
                        "escalate_after_seconds": 1,
                        "escalate_to": "manager",
                    },
                },
                {"id": "after", "type": "delay", "name": "after", "config": {"seconds": 0}},
            ],
        },
    )
    execution = _post(live_server, f"/api/workflows/{workflow['id']}/execute", {"inputs": {}}, status=202)

    def gate_escalated() -> bool:
        gates = _get(live_server, "/api/automation/approvals?status=pending")["items"]
        return any(g["execution_id"] == execution["id"] and g["escalated_at"] for g in gates)

    _eventually(gate_escalated, "the gate's escalation")

    page = ui.page
    ui.sign_in(boss_email, PASSWORD)
    page.goto("/approvals")
    step_card = page.get_by_role("article").filter(has_text=f"Badge {tag}")
    expect(step_card.locator("[data-kind=escalation]")).to_contain_text("Escalated to the approvers' managers")
    gate_card = page.get_by_role("article").filter(has_text=f"Restart the cluster {tag}?")
    history = gate_card.get_by_role("list", name="Reminders and escalation")
    expect(history.locator("[data-kind=escalated]")).to_contain_text("Escalated to the approvers' managers")
    expect(history.locator("[data-kind=escalated]")).to_contain_text("1 approver added")
    ui.screenshot("escalations-inbox")
    page.goto(f"/portal/requests/{request['id']}")
    expect(page.locator("[data-kind=escalation]")).to_contain_text("after 1 s without a decision")
