"""The admin pages of issue 11: default change definitions in tenant settings, and archiving what is still in use.

An archive refused with 409 lists what still uses the thing, with links, and offers to archive anyway.
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


def _post(server: LiveServer, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{server.url}{path}", json=body, headers=server.admin_headers())
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_an_admin_picks_the_default_approval_definition_of_emergency_changes(ui: BrowserPage) -> None:
    name = f"Emergency CAB {uuid.uuid4().hex[:6]}"
    ladder = _post(
        ui.server,
        "/api/workflows/definitions",
        {"name": name, "steps": [{"name": "ecab", "order": 1, "approver_type": "any"}]},
    )
    ui.sign_in()
    page = ui.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tenant settings").click()
    picker = page.get_by_label("Default approval for emergency changes")
    expect(picker.get_by_role("option", name=name)).to_have_count(1)

    picker.select_option(label=name)
    page.get_by_role("button", name="Save settings").click()

    expect(page.get_by_role("status").filter(has_text="saved")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Default approval for emergency changes")).to_have_value(ladder["id"])
    expect(page.get_by_label("Default approval for normal changes")).to_have_value("")
    ui.screenshot("issue11-change-defaults")
    headers = ui.server.admin_headers()
    settings = httpx.get(f"{ui.server.url}/api/tenant", headers=headers).json()
    assert settings["change_definitions"] == {"normal": None, "emergency": ladder["id"]}
    cleared = httpx.patch(
        f"{ui.server.url}/api/tenant", json={"change_definitions": {"emergency": None}}, headers=headers
    )
    assert cleared.status_code == 200  # the live server is shared: leave no default to the other tests


def test_archiving_a_runbook_a_workflow_uses_lists_the_workflow_and_offers_to_archive_anyway(ui: BrowserPage) -> None:
    suffix = uuid.uuid4().hex[:6]
    runbook = _post(
        ui.server,
        "/api/runbooks",
        {"name": f"restart-{suffix}", "actions": [{"name": "run", "type": "shell", "script": "echo hi"}]},
    )
    workflow = _post(
        ui.server,
        "/api/workflows",
        {
            "name": f"Restart {suffix}",
            "steps": [{"id": "run", "type": "runbook", "name": "run", "config": {"runbook_id": runbook["id"]}}],
        },
    )
    ui.console.expect_http_error(409, f"/api/runbooks/{runbook['id']}")
    ui.sign_in()
    page = ui.page
    page.goto(f"/runbooks/{runbook['id']}")
    page.get_by_role("button", name="Archive").click()
    dialog = page.get_by_role("dialog", name=f"Archive restart-{suffix}?")
    dialog.get_by_role("button", name="Archive", exact=True).click()

    uses = dialog.get_by_role("list", name="Still used by")
    expect(uses.get_by_role("link", name=f"Restart {suffix}")).to_have_attribute("href", f"/workflows/{workflow['id']}")
    expect(dialog.get_by_role("button", name="Archive", exact=True)).to_have_count(0)
    ui.screenshot("issue11-archive-in-use")
    read = httpx.get(f"{ui.server.url}/api/runbooks/{runbook['id']}", headers=ui.server.admin_headers())
    assert read.json()["archived_at"] is None, "a refused archive changes nothing"

    dialog.get_by_role("button", name="Archive anyway").click()

    expect(page).to_have_url(re.compile(r"/runbooks$"))
    read = httpx.get(f"{ui.server.url}/api/runbooks/{runbook['id']}", headers=ui.server.admin_headers())
    assert read.json()["archived_at"] is not None
