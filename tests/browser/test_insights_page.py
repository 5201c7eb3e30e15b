"""The Insights page in Chromium against a real server: charts drawn from seeded approvals, a bottleneck row whose link
(the request's number) opens the waiting request, CSV downloads, and a service owner who sees only the items their
group owns.

Seeded through the API: item A (owned by the owners' group) with four requests — two approved, one rejected, one
pending — and item B (no owner) with one pending request, all waiting on the same approver.
Screenshots land in test-artifacts/screenshots/insights-*.png.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage, LiveServer
from tests.live_server import bearer

pytestmark = pytest.mark.browser

PASSWORD = "insights-password-1"
ROUTES = [
    "trends",
    *(f"approvals/{r}" for r in ("time-to-decision", "outcomes", "pending-by-age", "bottlenecks")),
    "fulfillment/by-item",
    "sla/compliance",
]


@dataclass
class Seeded:
    tag: str
    owner: str
    approver_name: str
    item_a: str
    item_a_name: str
    item_b: str
    pending_a: dict[str, object]
    pending_b: dict[str, object]


def _post(
    server: LiveServer, path: str, body: dict[str, object], headers: dict[str, str] | None = None
) -> dict[str, object]:
    response = httpx.post(f"{server.url}{path}", json=body, headers=headers or server.admin_headers())
    assert response.status_code in (200, 201, 204), response.text
    return response.json() if response.content else {}


def _user(server: LiveServer, email: str, name: str, roles: list[str]) -> str:
    body: dict[str, object] = {"email": email, "display_name": name, "password": PASSWORD, "roles": roles}
    return str(_post(server, "/api/users", body)["id"])


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> Seeded:
    """Seeded once for both tests, which only read it."""
    tag = uuid.uuid4().hex[:6]
    owner, approver, requester = (f"{who}-{tag}@acme.example.com" for who in ("sam", "ava", "rex"))
    owner_id = _user(live_server, owner, f"Sam Owner {tag}", ["service_owner"])
    _user(live_server, approver, f"Ava Approver {tag}", [f"insights-{tag}"])
    _user(live_server, requester, f"Rex Requester {tag}", [])
    group = _post(live_server, "/api/groups", {"name": f"Laptop owners {tag}"})
    _post(live_server, f"/api/groups/{group['id']}/members", {"user_id": owner_id})
    definition = _post(
        live_server,
        "/api/workflows/definitions",
        {
            "name": f"Insights ladder {tag}",
            "steps": [{"name": "Review", "order": 1, "approver_type": "role", "approver_value": f"insights-{tag}"}],
        },
    )

    def item(name: str, owner_group_id: object) -> str:
        body = {
            "name": name,
            "description": "Seeded for the Insights page.",
            "category": "Hardware",
            "variables": [],
            "workflow_definition_id": definition["id"],
            "fulfillment_type": "manual",
            "owner_group_id": owner_group_id,
        }
        return str(_post(live_server, "/api/itsm/catalog", body)["id"])

    item_a, item_b = item(f"Laptop {tag}", group["id"]), item(f"Phone {tag}", None)
    as_requester = bearer(live_server.url, live_server.tenant, requester, PASSWORD)
    as_approver = bearer(live_server.url, live_server.tenant, approver, PASSWORD)

    def submit(item_id: str) -> dict[str, object]:
        return _post(live_server, "/api/itsm/requests", {"catalog_item_id": item_id, "variables": {}}, as_requester)

    a_requests = [submit(item_a) for _ in range(4)]
    pending_b = submit(item_b)
    for request, verb in zip(a_requests[:3], ("approve", "approve", "reject"), strict=True):
        _post(
            live_server,
            f"/api/workflows/instances/{request['approval_instance_id']}/{verb}",
            {"comment": "seeded"},
            as_approver,
        )
    return Seeded(tag, owner, f"Ava Approver {tag}", item_a, f"Laptop {tag}", item_b, a_requests[3], pending_b)


def _card(ui: BrowserPage, title: str) -> Any:
    return ui.page.get_by_role("region", name=title, exact=True)


def test_insights_charts_show_the_seeded_figures_and_a_bottleneck_opens_the_waiting_request(
    ui: BrowserPage, seeded: Seeded
) -> None:
    page = ui.page
    ui.sign_in()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", name="Insights", level=1)).to_be_visible()
    # Other tests share this server, so the admin narrows to item A through the filter (kept in the URL).
    page.get_by_label("Catalog item", exact=True).select_option(label=seeded.item_a_name)
    expect(page).to_have_url(re.compile(f"catalog_item_id={seeded.item_a}"))

    totals = page.get_by_label("Totals in this range")
    expect(totals).to_contain_text("4 submitted")
    expect(totals).to_contain_text("2 approved")
    expect(totals).to_contain_text("1 rejected")
    trend = page.get_by_role("figure", name="Decisions and submissions per day")
    expect(trend.locator("path.recharts-line-curve")).to_have_count(3)

    outcomes = page.get_by_role("figure", name="Approved and rejected per definition")
    expect(outcomes).to_contain_text("Insights ladder")  # the y axis names the definition
    expect(outcomes.locator(".recharts-label-list").first).to_contain_text("2")
    expect(outcomes.locator(".recharts-label-list").nth(1)).to_contain_text("1")
    expect(_card(ui, "Outcomes")).to_contain_text("66.7% approved")

    decided = page.get_by_role("figure", name=re.compile("^Time to decision"))
    expect(decided.locator(".recharts-bar-rectangle")).to_have_count(2)  # p50 and p90 of the one definition
    pending = page.get_by_role("figure", name="Pending approvals by age")
    expect(pending.locator(".recharts-label-list")).to_contain_text("1")

    row = _card(ui, "Bottlenecks").get_by_role("row").filter(has_text=seeded.approver_name)
    expect(row.get_by_role("cell").nth(1)).to_have_text("1")
    ui.screenshot("insights-01-admin", full_page=True)

    # The CSV download of the same rows, with the same filters.
    href = _card(ui, "Bottlenecks").get_by_role("link", name="Download Bottlenecks as CSV").get_attribute("href")
    assert href is not None
    assert f"catalog_item_id={seeded.item_a}" in href
    assert "format=csv" in href
    csv = page.request.get(href)
    assert csv.status == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert str(seeded.pending_a["approval_instance_id"]) in csv.text()

    # The waiting request's link reads as its number (REQ…), its title beside it.
    link = row.get_by_role("link", name=str(seeded.pending_a["number"]), exact=True)
    expect(link).to_have_count(1)
    link.click()
    expect(page).to_have_url(re.compile(f"/portal/requests/{seeded.pending_a['id']}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(seeded.pending_a["number"]))


def test_a_service_owner_sees_only_the_items_their_group_owns(ui: BrowserPage, seeded: Seeded) -> None:
    page = ui.page
    ui.sign_in(seeded.owner, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Insights").click()
    # No filter: item A's figures only; item B's pending request (same approver) is not counted or linked.
    expect(page.get_by_label("Totals in this range")).to_contain_text("4 submitted")
    row = _card(ui, "Bottlenecks").get_by_role("row").filter(has_text=seeded.approver_name)
    expect(row.get_by_role("cell").nth(1)).to_have_text("1")
    expect(row.get_by_role("link")).to_have_count(1)
    expect(row.get_by_role("link")).to_have_text(str(seeded.pending_a["number"]))
    expect(page.locator(f"a[href='/portal/requests/{seeded.pending_b['id']}']")).to_have_count(0)
    # Automation figures need executions.read_all, which a service owner does not have.
    expect(page.get_by_role("heading", name="Automation")).to_have_count(0)
    ui.screenshot("insights-02-service-owner", full_page=True)

    # Item B through a shared link: the API answers 403 and the page says so once, instead of drawing charts.
    for route in ROUTES:
        ui.console.expect_http_error(403, f"/api/insights/{route}")
    page.goto(f"/insights?catalog_item_id={seeded.item_b}")
    # (Each panel asks at once, so a panel may show its own error for a moment before the page-level one replaces them.)
    expect(page.get_by_role("alert").filter(has_text="These figures are not yours to see")).to_have_count(1)
    expect(page.get_by_role("alert")).to_have_count(1)
    expect(page.get_by_role("figure")).to_have_count(0)


def test_the_catalog_item_editor_shows_and_keeps_the_owner_group(ui: BrowserPage, seeded: Seeded) -> None:
    page = ui.page
    ui.sign_in()
    page.goto(f"/itsm/catalog/{seeded.item_a}")
    owner = page.get_by_label("Owner group")
    expect(owner.locator("option:checked")).to_have_text(f"Laptop owners {seeded.tag}")
    # Saving the item (a PUT of the whole item) keeps its owner: the service owner still sees it.
    page.get_by_role("button", name="Save item").click()
    expect(page.get_by_role("status").filter(has_text="Item saved")).to_be_visible()
    item = httpx.get(f"{ui.server.url}/api/itsm/catalog/{seeded.item_a}", headers=ui.server.admin_headers()).json()
    assert item["owner_group_id"] is not None
    assert owner.input_value() == item["owner_group_id"]
