"""ITSM journeys in Chromium against a real server: portal, manager, CAB, fulfiller, four-eyes and rejection.

Users, the approval definition (manager → CAB) and the catalog item are set up through the API; everything a person
does happens in the browser. Screenshots of the key steps land in test-artifacts/screenshots/itsm-*.png.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage, LiveServer, bearer

pytestmark = pytest.mark.browser

PASSWORD = "journey-password-1"


@dataclass
class Cast:
    requester: str
    manager: str
    cab: str
    fulfiller: str
    cab_requester: str
    item_id: str
    item_name: str


def _post(server: LiveServer, path: str, body: dict[str, object]) -> dict[str, object]:
    response = httpx.post(f"{server.url}{path}", json=body, headers=server.admin_headers())
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def _user(server: LiveServer, email: str, name: str, roles: list[str], manager_id: str | None = None) -> str:
    body: dict[str, object] = {"email": email, "display_name": name, "password": PASSWORD, "roles": roles}
    if manager_id:
        body["manager_id"] = manager_id
    return str(_post(server, "/api/users", body)["id"])


@pytest.fixture
def cast(live_server: LiveServer) -> Cast:
    """A requester with a manager, a CAB member, a fulfiller, a requester who sits on the CAB, and the item."""
    tag = uuid.uuid4().hex[:6]
    manager = f"mona-{tag}@acme.example.com"
    manager_id = _user(live_server, manager, f"Mona Manager {tag}", [])
    cast = Cast(
        requester=f"rita-{tag}@acme.example.com",
        manager=manager,
        cab=f"carl-{tag}@acme.example.com",
        fulfiller=f"fred-{tag}@acme.example.com",
        cab_requester=f"cora-{tag}@acme.example.com",
        item_id="",
        item_name=f"Laptop {tag}",
    )
    _user(live_server, cast.requester, f"Rita Requester {tag}", [], manager_id)
    _user(live_server, cast.cab, f"Carl CAB {tag}", ["cab"])
    _user(live_server, cast.fulfiller, f"Fred Fulfiller {tag}", ["fulfiller"])
    _user(live_server, cast.cab_requester, f"Cora CAB-requester {tag}", ["cab"], manager_id)
    definition = _post(
        live_server,
        "/api/workflows/definitions",
        {
            "name": f"Manager then CAB {tag}",
            "steps": [
                {"name": "Manager", "order": 1, "approver_type": "manager"},
                {"name": "CAB", "order": 2, "approver_type": "role", "approver_value": "cab"},
            ],
        },
    )
    item = _post(
        live_server,
        "/api/itsm/catalog",
        {
            "name": cast.item_name,
            "description": "A new laptop for work.",
            "category": "Hardware",
            "variables": [
                {"name": "cost", "label": "Cost", "type": "number", "required": True},
                {"name": "size", "label": "Screen size", "type": "choice", "choices": ["13", "15"], "required": True},
                {"name": "urgent", "label": "Urgent", "type": "boolean", "default": False},
                {"name": "notes", "label": "Notes", "type": "text"},
            ],
            "workflow_definition_id": definition["id"],
            "fulfillment_type": "manual",
        },
    )
    cast.item_id = str(item["id"])
    return cast


def _switch(ui: BrowserPage, email: str) -> None:
    banner = ui.page.get_by_role("banner")
    if banner.get_by_role("button", name="Sign out").count():
        banner.get_by_role("button", name="Sign out").click()
        expect(ui.page).to_have_url(re.compile(r"/sign-in"))
    ui.sign_in(email, PASSWORD)


def _submit_via_api(server: LiveServer, email: str, item_id: str) -> dict[str, object]:
    headers = bearer(server.url, server.tenant, email, PASSWORD)
    body = {"catalog_item_id": item_id, "variables": {"cost": 900, "size": "13"}}
    response = httpx.post(f"{server.url}/api/itsm/requests", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def test_a_request_goes_from_the_portal_through_manager_and_cab_to_fulfilled(ui: BrowserPage, cast: Cast) -> None:
    page = ui.page
    _switch(ui, cast.requester)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Service portal").click()
    expect(page.get_by_role("heading", name="Service portal", level=1)).to_be_visible()
    page.get_by_role("searchbox", name="Search").fill(cast.item_name)
    ui.screenshot("itsm-01-portal")
    page.get_by_role("link", name=re.compile(cast.item_name)).click()
    expect(page.get_by_role("heading", name=cast.item_name, level=1)).to_be_visible()

    # The approvers preview: the requester's manager, then the CAB.
    preview = page.get_by_role("region", name="Who will approve?")
    expect(preview).to_contain_text("Mona Manager")
    expect(preview).to_contain_text("Carl CAB")

    # Cost left empty: the API's 422 lands beside the Cost field, and focus moves there.
    ui.console.expect_http_error(422, "/api/itsm/requests")
    page.get_by_label("Screen size").select_option("15")
    page.get_by_role("button", name="Submit request").click()
    cost = page.get_by_label("Cost")
    expect(cost).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field--invalid")).to_contain_text("required")
    expect(cost).to_be_focused()
    ui.screenshot("itsm-02-form-error")

    cost.fill("1450")
    page.get_by_label("Notes").fill("Developer machine")
    page.get_by_role("button", name="Submit request").dblclick()
    expect(page.get_by_role("heading", level=1)).to_contain_text("REQ")
    number = page.get_by_role("heading", level=1).inner_text().split(" ")[0]
    expect(page.get_by_text("pending approval").first).to_be_visible()
    ui.screenshot("itsm-03-submitted")
    # One request for the double click.
    page.get_by_role("link", name="My requests").first.click()
    expect(page.get_by_role("link", name=number)).to_have_count(1)

    # The manager sees it waiting on the dashboard, and approves from the inbox.
    _switch(ui, cast.manager)
    expect(page.get_by_role("region", name="My approvals")).to_contain_text("1")
    ui.screenshot("itsm-04a-manager-dashboard")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Approvals").click()
    card = page.get_by_role("article").filter(has_text=number)
    expect(card).to_contain_text("1450")
    expect(card).to_contain_text("Developer machine")
    ui.screenshot("itsm-04-manager-inbox")
    card.get_by_label("Comment").fill("Fine by me")
    card.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status").filter(has_text="Approved")).to_be_visible()
    expect(page.get_by_role("article").filter(has_text=number)).to_have_count(0)

    # A CAB member approves.
    _switch(ui, cast.cab)
    page.goto("/approvals")
    card = page.get_by_role("article").filter(has_text=number)
    card.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("article").filter(has_text=number)).to_have_count(0)

    # The fulfiller marks it fulfilled from the queue.
    _switch(ui, cast.fulfiller)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Fulfillment queue").click()
    row = page.get_by_role("row").filter(has_text=number)
    ui.screenshot("itsm-05-fulfiller-queue")
    row.get_by_role("button", name=f"Mark {number} fulfilled").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Comment").fill("Handed over at the desk")
    dialog.get_by_role("button", name="Mark fulfilled").click()
    expect(page.get_by_role("status").filter(has_text="marked fulfilled")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=number)).to_have_count(0)

    # The requester sees it fulfilled in the timeline.
    _switch(ui, cast.requester)
    page.goto("/portal/requests")
    page.get_by_role("link", name=number).click()
    timeline = page.get_by_role("list", name="Timeline")
    expect(timeline).to_contain_text("Fulfilled")
    expect(timeline).to_contain_text("Handed over at the desk")
    tag = cast.manager.split("@")[0].removeprefix("mona-")
    for who in (f"Mona Manager {tag}", f"Carl CAB {tag}", f"Fred Fulfiller {tag}"):  # names, not ids
        expect(timeline).to_contain_text(who)
    expect(page.get_by_role("button", name="Cancel request")).to_have_count(0)
    ui.screenshot("itsm-06-fulfilled", full_page=True)


def test_a_requester_on_the_cab_may_not_decide_their_own_request(ui: BrowserPage, cast: Cast) -> None:
    request = _submit_via_api(ui.server, cast.cab_requester, cast.item_id)
    # The manager approves, so the request waits for the CAB, where its own requester sits.
    manager = httpx.post(
        f"{ui.server.url}/api/workflows/instances/{request['approval_instance_id']}/approve",
        json={},
        headers=bearer(ui.server.url, ui.server.tenant, cast.manager, PASSWORD),
    )
    assert manager.status_code == 200, manager.text

    page = ui.page
    _switch(ui, cast.cab_requester)
    page.goto("/approvals")
    expect(page.get_by_text("Nothing to approve")).to_be_visible()
    page.goto(f"/portal/requests/{request['id']}")
    page.get_by_role("link", name="Open the approval").click()
    card = page.get_by_role("article")
    expect(card.get_by_role("note")).to_contain_text("four-eyes")
    expect(card.get_by_role("button", name="Approve")).to_have_count(0)
    expect(card.get_by_role("button", name="Reject")).to_have_count(0)
    ui.screenshot("itsm-07-four-eyes")

    # Still pending approval, so its requester may withdraw it.
    page.goto(f"/portal/requests/{request['id']}")
    page.get_by_role("button", name="Cancel request").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel request").click()
    expect(page.get_by_role("list", name="Timeline")).to_contain_text("Cancelled")
    expect(page.get_by_role("button", name="Cancel request")).to_have_count(0)


def test_a_rejection_needs_a_comment_and_shows_in_the_timeline(phone_ui: BrowserPage, cast: Cast) -> None:
    ui = phone_ui
    request = _submit_via_api(ui.server, cast.requester, cast.item_id)
    number = str(request["number"])
    page = ui.page
    _switch(ui, cast.manager)
    page.goto("/approvals")
    card = page.get_by_role("article").filter(has_text=number)
    ui.console.expect_http_error(422, "/reject")
    card.get_by_role("button", name="Reject").click()
    expect(card.get_by_label("Comment")).to_have_attribute("aria-invalid", "true")
    expect(card.get_by_label("Comment")).to_be_focused()
    ui.screenshot("itsm-08-reject-needs-comment")
    card.get_by_label("Comment").fill("Over budget this quarter")
    card.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("article").filter(has_text=number)).to_have_count(0)

    _switch(ui, cast.requester)
    page.goto("/portal")
    expect(page.get_by_role("link", name=re.compile(cast.item_name))).to_be_visible()
    ui.screenshot("itsm-09a-portal-phone")
    page.goto(f"/portal/requests/{request['id']}")
    expect(page.get_by_role("list", name="Timeline")).to_contain_text("Rejected")
    expect(page.get_by_text("Over budget this quarter").first).to_be_visible()
    ui.screenshot("itsm-09-rejected-phone", full_page=True)


def test_a_service_owner_builds_a_ladder_and_an_item_and_works_a_change(ui: BrowserPage) -> None:
    page = ui.page
    tag = uuid.uuid4().hex[:6]
    ui.sign_in()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Approval definitions").click()
    page.get_by_role("link", name="New definition").first.click()
    page.get_by_role("textbox", name="Name", exact=True).fill(f"Ladder {tag}")
    page.get_by_role("button", name="Add step").click()
    step2 = page.get_by_role("group", name=re.compile(r"^Step 2"))
    step2.get_by_label("Step name").fill("CAB")
    step2.get_by_label("Approver", exact=True).select_option("role")
    # The role left empty: the API names steps.1.approver_value, shown beside the Role field.
    ui.console.expect_http_error(422, "/api/workflows/definitions")
    page.get_by_role("button", name="Create definition").click()
    expect(step2.get_by_label("Role")).to_have_attribute("aria-invalid", "true")
    ui.screenshot("itsm-10-ladder-error", full_page=True)
    step2.get_by_label("Role").fill("cab")
    page.get_by_role("button", name="Move step CAB up").click()
    expect(page.get_by_role("group", name=re.compile(r"^Step 1")).get_by_label("Step name")).to_have_value("CAB")
    page.get_by_role("button", name="Move step CAB down").click()
    page.get_by_role("button", name="Create definition").click()
    expect(page.get_by_role("button", name="Save new version")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Ladder {tag}", level=1)).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalog items").click()
    page.get_by_role("link", name="New item").first.click()
    page.get_by_role("textbox", name="Name", exact=True).fill(f"VPN access {tag}")
    page.get_by_label("Category").fill("Access")
    page.get_by_role("button", name="Add field").click()
    field = page.get_by_role("group", name=re.compile(r"^Form field 1"))
    field.get_by_role("textbox", name="Name", exact=True).fill("reason")
    field.get_by_label("Label").fill("Reason")
    field.get_by_label("Required").check()
    page.get_by_label("Approval definition").select_option(label=f"Ladder {tag} (v1)")
    ui.screenshot("itsm-11-catalog-editor", full_page=True)
    page.get_by_role("button", name="Create item").click()
    expect(page.get_by_role("button", name="Save item")).to_be_visible()
    page.goto("/portal")
    expect(page.get_by_role("link", name=re.compile(f"VPN access {tag}"))).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Changes").click()
    page.get_by_role("button", name="New change").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Title").fill(f"Patch the database {tag}")
    # A normal change without an approval definition is refused, beside the definition picker.
    ui.console.expect_http_error(422, "/api/itsm/changes")
    dialog.get_by_role("button", name="Create change").click()
    expect(dialog.get_by_label("Approval definition")).to_have_attribute("aria-invalid", "true")
    ui.screenshot("itsm-12a-change-error")
    dialog.get_by_label("Type").select_option("standard")
    dialog.get_by_role("button", name="Create change").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Patch the database")
    page.get_by_role("button", name="Start").click()
    page.get_by_role("dialog").get_by_role("button", name="Start").click()
    expect(page.get_by_role("status").filter(has_text="implementing")).to_be_visible()
    page.get_by_role("button", name="Complete").click()
    page.get_by_role("dialog").get_by_label("Comment").fill("Done in the window")
    page.get_by_role("dialog").get_by_role("button", name="Complete").click()
    expect(page.get_by_role("status").filter(has_text="completed")).to_be_visible()
    ui.screenshot("itsm-12-change-completed")


def test_a_decision_on_an_already_decided_approval_says_so(ui: BrowserPage, cast: Cast) -> None:
    request = _submit_via_api(ui.server, cast.requester, cast.item_id)
    number = str(request["number"])
    page = ui.page
    _switch(ui, cast.manager)
    page.goto("/approvals")
    card = page.get_by_role("article").filter(has_text=number)
    expect(card.get_by_role("button", name="Approve")).to_be_visible()
    # Decided elsewhere (another tab, the API) while this page still shows the buttons.
    decided = httpx.post(
        f"{ui.server.url}/api/workflows/instances/{request['approval_instance_id']}/reject",
        json={"comment": "Decided in another tab"},
        headers=bearer(ui.server.url, ui.server.tenant, cast.manager, PASSWORD),
    )
    assert decided.status_code == 200, decided.text
    ui.console.expect_http_error(409, "/approve")
    card.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status").filter(has_text="Already decided")).to_be_visible()
    expect(page.get_by_role("article").filter(has_text=number)).to_have_count(0)
    ui.screenshot("itsm-13-already-decided")
