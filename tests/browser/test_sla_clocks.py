"""SLA clocks in Chromium: the fulfiller queue shows each request's time left as a coloured badge and sorts by it;
the request page lists its clocks."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BrowserPage, LiveServer

pytestmark = pytest.mark.browser


def _post(server: LiveServer, path: str, body: dict[str, object]) -> dict[str, object]:
    response = httpx.post(f"{server.url}{path}", json=body, headers=server.admin_headers())
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def test_the_queue_and_the_request_page_show_time_left(ui: BrowserPage) -> None:
    tag = uuid.uuid4().hex[:6]
    targets = [
        {"target": "fulfilment", "minutes": 30, "clock": "wall"},
        {"target": "resolution", "minutes": 240, "clock": "wall"},
    ]
    policy = _post(ui.server, "/api/sla/policies", {"name": f"Desk {tag}", "targets": targets})
    item = _post(ui.server, "/api/itsm/catalog", {"name": f"Headset {tag}", "sla_policy_id": policy["id"]})
    request = _post(ui.server, "/api/itsm/requests", {"catalog_item_id": item["id"]})
    assert request["status"] == "in_fulfillment"

    ui.sign_in()
    ui.page.goto("/itsm/fulfillment")
    row = ui.page.get_by_role("row").filter(has_text=str(request["number"]))
    badge = row.get_by_text(re.compile(r"^(29|30) min left$"))
    expect(badge).to_be_visible()
    expect(badge).to_have_class(re.compile("badge--good"))
    ui.page.get_by_label("Sort by").select_option("sla")
    expect(ui.page.get_by_role("row").filter(has_text=str(request["number"]))).to_be_visible()
    ui.screenshot("sla-01-queue")

    ui.page.goto(f"/portal/requests/{request['id']}")
    section = ui.page.get_by_role("region", name="Service levels")
    expect(section).to_contain_text("Fulfilment")
    expect(section).to_contain_text("Resolution")
    expect(section.get_by_text(re.compile(r"^(3 h 59 min|4 h) left$"))).to_be_visible()
    ui.screenshot("sla-02-request")
