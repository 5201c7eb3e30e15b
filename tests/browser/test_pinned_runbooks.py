"""Pinned runbooks in Chromium: the gate card names the runbook version that runs once approved, and the runbook
and workflow pages list their executions with the version each ran, after the runbook was saved again.

A real worker on the live server's database runs the scripts (the shared server runs without one).
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser import test_automation_admin_pages as admin_pages
from tests.browser.conftest import BrowserPage, LiveServer
from tests.browser.test_automation_admin_pages import FINISHED, PASSWORD, _post, _wait_for

pytestmark = pytest.mark.browser
# The automation pages' fixture running a real `tenantplane worker`, found by pytest under this name here too.
worker = admin_pages.worker


def _runbook(tag: str, marker: str) -> dict[str, Any]:
    return {
        "name": f"Rotate keys {tag}",
        "parameters": {"type": "object", "properties": {"host": {"type": "string"}}},
        "actions": [{"name": "rotate", "type": "shell", "script": f'echo "ran={marker}" > "$TP_OUTPUT"'}],
    }


def _workflow(server: LiveServer, tag: str, runbook_id: str) -> dict[str, Any]:
    approval = {"approvers": [{"type": "role", "value": "automation_engineer"}], "message": f"Rotate {tag}?"}
    rotate = {"runbook_id": runbook_id, "parameters": {"host": "{{ inputs.host }}"}}
    body = {
        "name": f"Rotate with approval {tag}",
        "steps": [
            {"id": "approve-rotate", "type": "approval", "config": approval},
            {"id": "rotate", "type": "runbook", "config": rotate},
        ],
    }
    return _post(server, "/api/workflows", body)


@pytest.mark.usefixtures("worker")
def test_the_gate_and_the_pages_show_the_pinned_runbook_version(ui: BrowserPage) -> None:
    server, page = ui.server, ui.page
    tag = uuid.uuid4().hex[:6]
    approver = f"pia-{tag}@acme.example.com"
    user = {"email": approver, "display_name": f"Pia Pinner {tag}", "password": PASSWORD}
    _post(server, "/api/users", user | {"roles": ["automation_engineer"]})
    runbook = _post(server, "/api/runbooks", _runbook(tag, "v1"))
    workflow = _workflow(server, tag, str(runbook["id"]))
    execution = _post(server, f"/api/workflows/{workflow['id']}/execute", {"inputs": {"host": "kms-1"}})
    _wait_for(server, str(execution["id"]), {"waiting"} | FINISHED)
    edited = httpx.put(
        f"{server.url}/api/runbooks/{runbook['id']}", json=_runbook(tag, "v2"), headers=server.admin_headers()
    )
    assert edited.json()["version"] == 2, edited.text

    ui.sign_in(approver, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Approvals").click()
    card = page.get_by_role("article").filter(has_text=f"Rotate {tag}?")
    once = card.get_by_role("list", name="Steps that run once approved")
    expect(once).to_contain_text(f"runbook “Rotate keys {tag}” v1 with exactly:")
    expect(once).to_contain_text("kms-1")
    card.get_by_label("Comment").fill("ok")
    card.get_by_role("button", name="Approve").click()
    done = _wait_for(server, str(execution["id"]), FINISHED)
    rotate = next(s for s in done["steps"] if s.get("step_id") == "rotate")
    assert (done["status"], rotate["outputs"], rotate["runbook_version"]) == ("succeeded", {"ran": "v1"}, 1)

    page.goto(f"/runbooks/{runbook['id']}")
    runs = page.get_by_role("table", name="Executions and the version each ran")
    expect(runs.get_by_role("row").filter(has_text="v1")).to_have_count(1)
    expect(page.get_by_text("the current one is v2")).to_be_visible()
    ui.screenshot("runbook-executions-versions", full_page=True)
    page.goto(f"/workflows/{workflow['id']}")
    runs = page.get_by_role("table", name="Executions and the version each ran")
    expect(runs.get_by_role("row").filter(has_text=str(execution["id"])[:8])).to_contain_text("v1")
    page.goto(f"/executions/{execution['id']}")
    expect(page.locator('tr[data-step-id="rotate"]')).to_contain_text("v1")
