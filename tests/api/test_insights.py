"""Insights figures against hand-computed values on the seeded data set (tests/api/insights_seed.py).

percentile_cont interpolates: of n sorted values, p is at position p*(n-1). Hours are written as `h` seconds.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.conftest import Actor, TenantContext, TenantFactory
from tests.api.insights_seed import Seeded, seed
from tests.api.sweep_approvals import create_definition, signed_in, step
from tests.api.sweep_insights import ROUTES
from tests.api.sweep_itsm import CHANGES, create_item, submit_request

NOVEMBER = {"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}
h = 3600.0


async def _get(actor: Actor, path: str, **params: Any) -> Any:
    response = await actor.tenant.client.get(f"/api/insights/{path}", params=params, headers=actor.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


@pytest.fixture
async def seeded(tenant: TenantContext) -> Seeded:
    return await seed(tenant)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _figures(rows: list[dict[str, Any]], key: str) -> dict[str, tuple[int, float | None, float | None]]:
    return {row[key]: (row["count"], _round(row["p50_seconds"]), _round(row["p90_seconds"])) for row in rows}


async def test_time_to_decision_by_definition_step_and_approver(tenant: TenantContext, seeded: Seeded) -> None:
    admin, owner = tenant.admin, seeded.owner
    # Instances decided: 2.5h, 3h, 4h, 12h (I4 was cancelled) → p50 3.5h, p90 4h + 0.7·8h = 9.6h.
    assert _figures(await _get(admin, "approvals/time-to-decision", **NOVEMBER), "definition_name") == {
        "Laptop ladder": (4, 3.5 * h, round(9.6 * h, 3))
    }
    # The owner of A sees A's three: 2.5h, 3h, 4h → p50 3h, p90 3.8h.
    assert _figures(await _get(owner, "approvals/time-to-decision", **NOVEMBER), "definition_name") == {
        "Laptop ladder": (3, 3 * h, round(3.8 * h, 3))
    }
    # Steps: manager 1h, 2h, 4h, 10h; it 2h, 0.5h, 2h (I3's never opened).
    steps = _figures(await _get(admin, "approvals/time-to-decision", group_by="step", **NOVEMBER), "step_name")
    assert steps == {"manager": (4, 3 * h, round(8.2 * h, 3)), "it": (3, 2 * h, 2 * h)}
    # Approvers: Ann decided every manager step; Bob the it steps, once through his delegate.
    rows = await _get(admin, "approvals/time-to-decision", group_by="approver", **NOVEMBER)
    assert _figures(rows, "approver_id") == {seeded.ann: (4, 3 * h, round(8.2 * h, 3)), seeded.bob: (3, 2 * h, 2 * h)}
    # A range holding only 2 Nov: I1's two decisions.
    one_day = {"from": "2026-11-02T00:00:00Z", "to": "2026-11-03T00:00:00Z"}
    rows = await _get(admin, "approvals/time-to-decision", group_by="approver", **one_day)
    assert _figures(rows, "approver_id") == {seeded.ann: (1, 1 * h, 1 * h), seeded.bob: (1, 2 * h, 2 * h)}


async def test_outcomes_pending_and_bottlenecks(tenant: TenantContext, seeded: Seeded) -> None:
    admin, owner = tenant.admin, seeded.owner
    [everything] = await _get(admin, "approvals/outcomes", **NOVEMBER)
    assert (everything["approved"], everything["rejected"], everything["cancelled"], everything["total"]) == (
        2,
        2,
        1,
        5,
    )
    assert everything["approval_rate"] == 0.5
    [mine] = await _get(owner, "approvals/outcomes", **NOVEMBER)
    assert (mine["approved"], mine["rejected"], mine["cancelled"], mine["total"]) == (1, 2, 1, 4)
    assert mine["approval_rate"] == pytest.approx(1 / 3)

    ages = {row["bucket"]: row["count"] for row in await _get(admin, "approvals/pending-by-age")}
    assert ages == {"lt_1h": 0, "1h_4h": 1, "4h_24h": 0, "1d_3d": 1, "3d_7d": 0, "gt_7d": 1}
    ages = {row["bucket"]: row["count"] for row in await _get(owner, "approvals/pending-by-age")}
    assert ages == {"lt_1h": 0, "1h_4h": 1, "4h_24h": 0, "1d_3d": 1, "3d_7d": 0, "gt_7d": 0}

    def summary(rows: list[dict[str, Any]]) -> list[tuple[str, int, float, float, list[tuple[str, str]]]]:
        return [
            (r["approver_id"], r["pending"], round(r["oldest_age_seconds"] / h), round(r["age_sum_seconds"] / h),
             [(w["instance_id"], w["record_number"]) for w in r["waiting"]])
            for r in rows
        ]  # fmt: skip

    p = {name: (instance_id, seeded.numbers[name]) for name, instance_id in seeded.pending.items()}
    # Ann: P3 (10 days at her step) and P1 (2h); Bob: P2 (5h at his step) and P1 (2h). Each names its request.
    assert summary(await _get(admin, "approvals/bottlenecks")) == [
        (seeded.ann, 2, 240, 242, [p["P3"], p["P1"]]),
        (seeded.bob, 2, 5, 7, [p["P2"], p["P1"]]),
    ]
    assert summary(await _get(owner, "approvals/bottlenecks")) == [
        (seeded.bob, 2, 5, 7, [p["P2"], p["P1"]]),
        (seeded.ann, 1, 2, 2, [p["P1"]]),
    ]


async def test_waiting_items_name_their_request_or_change_number(tenant: TenantContext, app: FastAPI) -> None:
    """A bottleneck's waiting items carry the number of the record they approve: REQ… for a request, CHG… for a
    change (submitted through the API, as the Insights page links them)."""
    approver = await signed_in(tenant, app)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    item = await create_item(tenant, variables=[], workflow_definition_id=definition["id"])
    request = await submit_request(tenant.admin, item["id"])
    body = {"title": "Patch", "type": "normal", "workflow_definition_id": definition["id"]}
    change = await tenant.client.post(CHANGES, json=body, headers=tenant.admin.headers)
    assert change.status_code == 201, change.text
    [row] = await _get(tenant.admin, "approvals/bottlenecks")
    assert row["approver_id"] == approver.id
    waiting = {w["record_id"]: (w["record_type"], w["record_number"]) for w in row["waiting"]}
    assert waiting == {
        request["id"]: ("service_request", request["number"]),
        change.json()["id"]: ("change_request", change.json()["number"]),
    }
    assert request["number"].startswith("REQ")
    assert change.json()["number"].startswith("CHG")


async def test_fulfilment_sla_and_trends(tenant: TenantContext, seeded: Seeded) -> None:
    admin, owner = tenant.admin, seeded.owner
    rows = {r["catalog_item_name"]: r for r in await _get(admin, "fulfillment/by-item", **NOVEMBER)}
    laptop = rows["Laptop"]  # R1 (lead 5h, after approval 2h) and R6 (1h, 1h); R7 failed
    assert (laptop["fulfilled"], laptop["failed"]) == (2, 1)
    assert (laptop["lead_p50_seconds"], laptop["lead_p90_seconds"]) == (3 * h, 4.6 * h)
    assert (laptop["fulfilment_p50_seconds"], laptop["fulfilment_p90_seconds"]) == (1.5 * h, pytest.approx(1.9 * h))
    phone = rows["Phone"]
    assert (phone["fulfilled"], phone["lead_p50_seconds"], phone["fulfilment_p90_seconds"]) == (1, 13 * h, 1 * h)
    assert [r["catalog_item_name"] for r in await _get(owner, "fulfillment/by-item", **NOVEMBER)] == ["Laptop"]

    autumn = {"from": "2026-10-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}
    sla = [(r["catalog_item_name"], r["month"], r["target"], r["met"], r["breached"], r["compliance"])
           for r in await _get(admin, "sla/compliance", **autumn)]  # fmt: skip
    assert sla == [
        ("Laptop", "2026-10", "fulfilment", 0, 1, 0.0),
        ("Laptop", "2026-11", "approval", 2, 1, pytest.approx(2 / 3)),
        ("Phone", "2026-11", "approval", 1, 0, 1.0),
    ]
    assert {r["catalog_item_name"] for r in await _get(owner, "sla/compliance", **autumn)} == {"Laptop"}

    days = await _get(admin, "trends", **NOVEMBER)
    assert len(days) == 30
    assert days[0]["day"] == "2026-11-01"
    assert days[-1]["day"] == "2026-11-30"
    # Up to 8 Nov: the decided ladders' requests and decisions (the pending ones' requests are relative to now).
    busy = {
        d["day"]: (d["approved"], d["rejected"], d["submitted"])
        for d in days
        if d["day"] < "2026-11-09" and any(d[k] for k in d if k != "day")
    }
    assert busy == {
        "2026-11-02": (2, 0, 1),
        "2026-11-03": (1, 1, 1),
        "2026-11-04": (0, 1, 1),
        "2026-11-05": (0, 0, 1),
        "2026-11-06": (2, 0, 1),
        "2026-11-07": (0, 0, 1),
        "2026-11-08": (0, 0, 1),
    }


async def test_automation_figures(tenant: TenantContext, seeded: Seeded) -> None:
    admin = tenant.admin
    runs = {(r["status"], r["count"]) for r in await _get(admin, "automation/executions", **NOVEMBER)}
    assert runs == {("succeeded", 2), ("failed", 1), ("waiting", 1)}
    steps = {r["step_id"]: (r["count"], r["p50_seconds"], r["p90_seconds"])
             for r in await _get(admin, "automation/step-durations", **NOVEMBER)}  # fmt: skip
    assert steps == {"a": (3, 20.0, 36.0), "b": (3, 30.0, 54.0)}
    [failure] = await _get(admin, "automation/failures", **NOVEMBER)
    assert (failure["step_id"], failure["failures"], failure["runs"], failure["last_reason"]) == ("b", 1, 3, "boom")
    assert failure["failure_rate"] == pytest.approx(1 / 3)
    [gate] = await _get(admin, "automation/gate-waits", **NOVEMBER)
    assert (gate["count"], gate["pending"], gate["approved"], gate["rejected"]) == (4, 1, 2, 1)
    assert (gate["p50_seconds"], gate["p90_seconds"]) == (1200.0, 1680.0)
    assert await _get(admin, "automation/gate-waits", workflow_id=seeded.definition, **NOVEMBER) == []
    engineer = await tenant.user(roles=["automation_engineer"])
    assert len(await _get(engineer, "automation/step-durations", **NOVEMBER)) == 2
    assert await _get(engineer, "fulfillment/by-item", **NOVEMBER) == []  # owns no catalog item


async def test_owners_see_only_their_items(tenant: TenantContext, seeded: Seeded, make_tenant: TenantFactory) -> None:
    c, owner = tenant.client, seeded.owner
    mine = await c.get("/api/insights/fulfillment/by-item", params={"catalog_item_id": seeded.item_a, **NOVEMBER},
                       headers=owner.headers)  # fmt: skip
    assert mine.status_code == 200
    assert [r["catalog_item_id"] for r in mine.json()["items"]] == [seeded.item_a]
    for path in ("fulfillment/by-item", "approvals/outcomes", "approvals/bottlenecks", "sla/compliance", "trends"):
        other = await c.get(f"/api/insights/{path}", params={"catalog_item_id": seeded.item_b}, headers=owner.headers)
        assert other.status_code == 403, (path, other.text)
    automation = await c.get("/api/insights/automation/executions", headers=owner.headers)
    assert automation.status_code == 403
    requester = await tenant.user()
    assert (await c.get("/api/insights/trends", headers=requester.headers)).status_code == 403
    # Another tenant's admin sees none of these figures, with or without this tenant's ids.
    stranger = (await make_tenant()).admin
    for path in ("approvals/time-to-decision", "approvals/outcomes", "fulfillment/by-item", "automation/executions"):
        assert await _get(stranger, path, **NOVEMBER) == []
    assert await _get(stranger, "fulfillment/by-item", catalog_item_id=seeded.item_a, **NOVEMBER) == []
    assert await _get(stranger, "approvals/outcomes", definition_id=seeded.definition, **NOVEMBER) == []


async def test_csv_round_trip(tenant: TenantContext, seeded: Seeded) -> None:
    c, h_ = tenant.client, tenant.admin.headers
    for path in ("fulfillment/by-item", "approvals/bottlenecks", "automation/failures", "trends"):
        as_json = (await c.get(f"/api/insights/{path}", params=NOVEMBER, headers=h_)).json()["items"]
        response = await c.get(f"/api/insights/{path}", params={**NOVEMBER, "format": "csv"}, headers=h_)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert len(rows) == len(as_json)
        for row, item in zip(rows, as_json, strict=True):
            assert row.keys() == item.keys()
            for key, value in item.items():
                if isinstance(value, list):
                    assert row[key] == ";".join(w["instance_id"] for w in value)
                elif isinstance(value, float):
                    assert float(row[key]) == pytest.approx(value)
                elif value is None:
                    assert row[key] == ""
                elif key != "last_failed_at":
                    assert row[key] == str(value), key


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "query.from"),
        ({"from": "2026-11-01T00:00:00"}, "query.from"),  # no time zone
        ({"from": "2026-12-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}, "query.from"),
        ({"from": "2024-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "query.from"),  # over 366 days
        ({"to": "0001-01-02T00:00:00Z"}, "query.to"),
        ({"catalog_item_id": "not-a-uuid"}, "query.catalog_item_id"),
        ({"definition_id": "1"}, "query.definition_id"),
        ({"workflow_id": "x"}, "query.workflow_id"),
        ({"format": "xml"}, "query.format"),
        ({"group_by": "colour"}, "query.group_by"),
    ],
)
async def test_bad_filters_are_422_naming_the_field(
    client: httpx.AsyncClient, tenant: TenantContext, params: dict[str, str], field: str
) -> None:
    response = await client.get("/api/insights/approvals/time-to-decision", params=params, headers=tenant.admin.headers)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_every_insights_route_by_role(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    """Each route: 401 without credentials, 403 to a requester and a fulfiller, an answer to the admin, 403 to a
    service owner for automation figures; and the sweep's list is every /api/insights route."""
    schema = (await client.get("/openapi.json")).json()
    assert {p for p in schema["paths"] if p.startswith("/api/insights/")} == set(ROUTES)
    requester, fulfiller, owner = (
        await tenant.user(),
        await tenant.user(["fulfiller"]),
        await tenant.user(["service_owner"]),
    )
    for path, automation in ROUTES.items():
        assert (await client.get(path)).status_code == 401
        for nobody in (requester, fulfiller):
            assert (await client.get(path, headers=nobody.headers)).status_code == 403, path
        assert (await client.get(path, headers=tenant.admin.headers)).status_code == 200, path
        assert (await client.get(path, headers=owner.headers)).status_code == (403 if automation else 200), path


async def test_a_catalog_items_owner_group_is_set_cleared_and_checked(
    tenant: TenantContext, make_tenant: TenantFactory
) -> None:
    c, h_ = tenant.client, tenant.admin.headers
    group = (await c.post("/api/groups", json={"name": "Owners"}, headers=h_)).json()["id"]
    item = await c.post("/api/itsm/catalog", json={"name": "Desk", "owner_group_id": group}, headers=h_)
    assert item.status_code == 201
    assert item.json()["owner_group_id"] == group
    cleared = await c.put(f"/api/itsm/catalog/{item.json()['id']}", json={"name": "Desk"}, headers=h_)
    assert cleared.status_code == 200
    assert cleared.json()["owner_group_id"] is None
    stranger = (await make_tenant()).admin
    foreign = (await c.post("/api/groups", json={"name": "Theirs"}, headers=stranger.headers)).json()["id"]
    refused = await c.post("/api/itsm/catalog", json={"name": "Chair", "owner_group_id": foreign}, headers=h_)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["owner_group_id"]
