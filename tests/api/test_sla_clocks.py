"""SLA clocks of requests and changes: started at submit, met or breached as records move, timers that fire once.

Time is moved through the database (clock rows and their jobs' run times), or passed in; nothing sleeps to wait.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from tenantplane.itsm import service_levels
from tenantplane.itsm.models import ServiceRequest
from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import Actor, TenantContext
from tests.api.sla_helpers import clock_jobs, inbox_subjects, move_clocks_back, rows, sla_audit, timeline_kinds
from tests.api.sweep_approvals import create_definition, decide, signed_in, step
from tests.api.sweep_itsm import CHANGES, REQUESTS, create_item, submit_request
from tests.api.sweep_sla import create_policy
from tests.jobs.conftest import wait_for

BERLIN = ZoneInfo("Europe/Berlin")
WALL = [
    {"target": "approval", "minutes": 60, "clock": "wall"},
    {"target": "fulfilment", "minutes": 60, "clock": "wall"},
    {"target": "resolution", "minutes": 120, "clock": "wall"},
]


def _clocks(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["target"]: c for c in body["sla"]}


async def _approved_item(
    t: TenantContext, app: FastAPI, policy: dict[str, Any] | None, **fields: Any
) -> tuple[dict[str, Any], Actor]:
    """A catalog item approved by one new approver, held to `policy`; the item and its approver."""
    approver = await signed_in(t, app)
    definition = await create_definition(t, step("lead", 1, "user", approver.id))
    item = await create_item(
        t, variables=[], workflow_definition_id=definition["id"], sla_policy_id=policy and policy["id"], **fields
    )
    return item, approver


async def test_clocks_start_at_submit_and_are_met_when_the_request_moves_in_time(
    tenant: TenantContext, app: FastAPI
) -> None:
    item, approver = await _approved_item(tenant, app, await create_policy(tenant, WALL, calendar_id=None))
    submitted = await submit_request(tenant.admin, item["id"])
    clocks = _clocks(submitted)
    assert sorted(clocks) == ["approval", "resolution"]
    approval = clocks["approval"]
    assert approval["state"] == "running"
    assert 3500 < approval["seconds_left"] <= 3600
    started = datetime.fromisoformat(approval["started_at"])
    assert started == datetime.fromisoformat(submitted["created_at"]), "a clock starts when its request was submitted"
    assert datetime.fromisoformat(approval["due_at"]) - started == timedelta(minutes=60)
    assert datetime.fromisoformat(approval["warn_at"]) - started == timedelta(minutes=48)
    assert [(k, s) for k, s, _ in await clock_jobs(tenant, submitted["id"])] == [
        ("sla.warn", "queued"), ("sla.breach", "queued"), ("sla.warn", "queued"), ("sla.breach", "queued")
    ]  # fmt: skip
    assert (await decide(approver, submitted["approval_instance_id"])).status_code == 200
    read = (await tenant.client.get(f"{REQUESTS}/{submitted['id']}", headers=tenant.admin.headers)).json()
    clocks = _clocks(read)
    assert clocks["approval"]["state"] == "met"
    assert clocks["approval"]["met_at"] is not None
    assert clocks["approval"]["seconds_left"] is None
    assert (clocks["fulfilment"]["state"], clocks["resolution"]["state"]) == ("running", "running")
    done = await tenant.client.post(f"{REQUESTS}/{submitted['id']}/fulfill", json={}, headers=tenant.admin.headers)
    assert {c["target"]: c["state"] for c in done.json()["sla"]} == {
        "approval": "met", "fulfilment": "met", "resolution": "met"
    }  # fmt: skip


def _friday_afternoon_a_week_ahead() -> datetime:
    """16:30 in Berlin on a Friday 7 to 13 days from now: its Monday is still ahead whenever the test runs."""
    day = datetime.now(BERLIN).date() + timedelta(days=7)
    day += timedelta(days=(4 - day.weekday()) % 7)
    return datetime(day.year, day.month, day.day, 16, 30, tzinfo=BERLIN)


async def test_a_friday_afternoon_request_breaches_on_monday_at_half_past_ten(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner
) -> None:
    policy = await create_policy(tenant, [{"target": "approval", "minutes": 120, "clock": "business"}])
    item, _ = await _approved_item(tenant, app, None)
    submitted = await submit_request(tenant.admin, item["id"])  # no clocks yet: they start below, at a time passed in
    friday = _friday_afternoon_a_week_ahead()
    async with tenant.database.transaction() as session:
        request = await session.get_one(ServiceRequest, uuid.UUID(submitted["id"]))
        request.sla_policy_id = uuid.UUID(policy["id"])
        await service_levels.start_at_submit(session, request, friday)
    monday = friday.date() + timedelta(days=3)
    monday_half_past_ten = datetime(monday.year, monday.month, monday.day, 10, 30, tzinfo=BERLIN)
    [(due, warn)] = await rows(
        tenant, "SELECT due_at, warn_at FROM sla_clocks WHERE record_id = CAST(:r AS uuid)", r=submitted["id"]
    )
    assert (due, warn) == (monday_half_past_ten, monday_half_past_ten - timedelta(minutes=24))  # 80 %: 96 minutes
    jobs = await clock_jobs(tenant, submitted["id"])
    assert [(k, r) for k, _, r in jobs] == [("sla.warn", warn), ("sla.breach", monday_half_past_ten)]
    # Run the breach job now, long before it is due: it queues itself again for 10:30 and breaches nothing.
    await rows(tenant, "UPDATE jobs SET run_at = now() WHERE kind = 'sla.breach' RETURNING id")

    async def queued_again() -> bool:
        return [s for k, s, _ in await clock_jobs(tenant, submitted["id"]) if k == "sla.breach"] == [
            "succeeded",
            "queued",
        ]

    await wait_for(queued_again)
    again = [r for k, s, r in await clock_jobs(tenant, submitted["id"]) if k == "sla.breach" and s == "queued"]
    assert again == [monday_half_past_ten]
    read = (await tenant.client.get(f"{REQUESTS}/{submitted['id']}", headers=tenant.admin.headers)).json()
    assert _clocks(read)["approval"]["state"] == "running"
    assert await timeline_kinds(tenant, submitted["id"]) == []


async def test_warning_and_breach_each_fire_once_and_tell_the_owners(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner
) -> None:
    fulfiller = await tenant.user(["fulfiller"])
    group = await tenant.client.post("/api/groups", json={"name": "Desk"}, headers=tenant.admin.headers)
    assert group.status_code == 201, group.text
    joined = await tenant.client.post(
        f"/api/groups/{group.json()['id']}/members", json={"user_id": fulfiller.id}, headers=tenant.admin.headers
    )
    assert joined.status_code == 204, joined.text
    policy = await create_policy(tenant, WALL, calendar_id=None)
    item, approver = await _approved_item(tenant, app, policy, fulfillment_group=group.json()["id"])
    submitted = await submit_request(tenant.admin, item["id"])
    # 100 minutes later: approval (60) is breached, resolution (120) past its warning (96); three of each job.
    await move_clocks_back(tenant, submitted["id"], timedelta(minutes=100), copies=3)

    async def all_due_ran() -> bool:
        return sorted(s for _, s, _ in await clock_jobs(tenant, submitted["id"])) == ["queued"] * 3 + ["succeeded"] * 9

    await wait_for(all_due_ran, timeout=30)
    assert sorted(await timeline_kinds(tenant, submitted["id"])) == ["sla_breached", "sla_warning", "sla_warning"]
    assert sorted(await sla_audit(tenant, submitted["id"])) == [
        "sla_clock.breached",
        "sla_clock.warned",
        "sla_clock.warned",
    ]
    for owner in (fulfiller.id, tenant.admin.id):
        subjects = await inbox_subjects(tenant, owner)
        assert len(subjects) == 3, subjects
        assert sum("breached" in s for s in subjects) == 1, subjects
    read = (await tenant.client.get(f"{REQUESTS}/{submitted['id']}", headers=tenant.admin.headers)).json()
    clocks = _clocks(read)
    assert clocks["approval"]["state"] == "breached"
    assert clocks["approval"]["breached_at"] is not None
    assert clocks["approval"]["seconds_left"] < 0
    assert clocks["resolution"]["state"] == "running"
    assert clocks["resolution"]["warned_at"] is not None
    assert (await decide(approver, submitted["approval_instance_id"])).status_code == 200
    after = _clocks((await tenant.client.get(f"{REQUESTS}/{submitted['id']}", headers=tenant.admin.headers)).json())
    assert after["approval"]["state"] == "breached"
    assert after["approval"]["stopped_at"] is not None


async def test_a_clock_stopped_late_is_breached_and_announced_once_by_its_timer(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner
) -> None:
    item, approver = await _approved_item(tenant, app, await create_policy(tenant, WALL[:1], calendar_id=None))
    submitted = await submit_request(tenant.admin, item["id"])
    await move_clocks_back(tenant, submitted["id"], timedelta(minutes=61), jobs=False)
    assert (await decide(approver, submitted["approval_instance_id"])).status_code == 200
    read = (await tenant.client.get(f"{REQUESTS}/{submitted['id']}", headers=tenant.admin.headers)).json()
    approval = _clocks(read)["approval"]
    assert (approval["state"], approval["met_at"], approval["breached_at"]) == ("breached", None, None)
    await move_clocks_back(tenant, submitted["id"], timedelta(minutes=61), clocks=False)

    async def ran() -> bool:
        return {s for _, s, _ in await clock_jobs(tenant, submitted["id"])} == {"succeeded"}

    await wait_for(ran, timeout=30)
    assert await timeline_kinds(tenant, submitted["id"]) == ["sla_breached"], "a stopped clock warns no more"
    read = (await tenant.client.get(f"{REQUESTS}/{submitted['id']}", headers=tenant.admin.headers)).json()
    assert _clocks(read)["approval"]["breached_at"] is not None


async def test_cancelling_a_request_cancels_its_running_clocks(tenant: TenantContext, app: FastAPI) -> None:
    item, _ = await _approved_item(tenant, app, await create_policy(tenant, WALL, calendar_id=None))
    submitted = await submit_request(tenant.admin, item["id"])
    cancelled = await tenant.client.post(f"{REQUESTS}/{submitted['id']}/cancel", headers=tenant.admin.headers)
    assert {c["state"] for c in cancelled.json()["sla"]} == {"cancelled"}


async def test_the_fulfiller_queue_sorts_by_time_left(tenant: TenantContext) -> None:
    slow = await create_policy(tenant, [{"target": "fulfilment", "minutes": 30, "clock": "wall"}], calendar_id=None)
    fast = await create_policy(tenant, [{"target": "fulfilment", "minutes": 10, "clock": "wall"}], calendar_id=None)
    numbers = []
    for policy_id in (slow["id"], fast["id"], None):
        item = await create_item(tenant, variables=[], sla_policy_id=policy_id)
        numbers.append((await submit_request(tenant.admin, item["id"]))["number"])
    params = {"scope": "all", "status": "in_fulfillment", "sort": "sla"}
    listed = (await tenant.client.get(REQUESTS, params=params, headers=tenant.admin.headers)).json()
    assert [r["number"] for r in listed["items"]] == [numbers[1], numbers[0], numbers[2]]
    assert [len(r["sla"]) for r in listed["items"]] == [1, 1, 0]


async def test_a_change_takes_the_policy_of_its_type(tenant: TenantContext) -> None:
    await create_policy(tenant, WALL, calendar_id=None, change_types=["standard"])
    created = await tenant.client.post(
        CHANGES, json={"title": "Patch", "type": "standard"}, headers=tenant.admin.headers
    )
    assert created.status_code == 201, created.text
    change = created.json()
    assert {c["target"]: c["state"] for c in change["sla"]} == {
        "approval": "met", "fulfilment": "running", "resolution": "running"
    }  # fmt: skip
    for action in ("start", "complete"):
        moved = await tenant.client.post(f"{CHANGES}/{change['id']}/{action}", json={}, headers=tenant.admin.headers)
        assert moved.status_code == 200, moved.text
    assert {c["state"] for c in moved.json()["sla"]} == {"met"}
    other = await tenant.client.post(CHANGES, json={"title": "Other", "type": "standard"}, headers=tenant.admin.headers)
    listed = (await tenant.client.get(CHANGES, headers=tenant.admin.headers)).json()
    assert {r["id"]: len(r["sla"]) for r in listed["items"]}[other.json()["id"]] == 3


async def test_every_clock_of_a_request_carries_its_catalog_item_and_a_changes_none(
    tenant: TenantContext, app: FastAPI
) -> None:
    """Insights count SLA compliance per item from the clocks alone (no join to the requests): each clock a request
    starts — at submit (in the submit's one statement, or step by step), per rung, at approval — names the item."""
    targets = [*WALL, {"target": "approval_step", "step": 0, "minutes": 60, "clock": "wall"}]
    policy = await create_policy(tenant, targets, calendar_id=None, change_types=["standard"])
    item, approver = await _approved_item(tenant, app, policy)
    without_approval = await create_item(tenant, variables=[], sla_policy_id=policy["id"])
    submitted = await submit_request(tenant.admin, item["id"])
    assert (await decide(approver, submitted["approval_instance_id"])).status_code == 200
    straight = await submit_request(tenant.admin, without_approval["id"])
    change = await tenant.client.post(
        CHANGES, json={"title": "Patch", "type": "standard"}, headers=tenant.admin.headers
    )
    assert change.status_code == 201, change.text
    found = await rows(
        tenant,
        "SELECT record_id::text, target, catalog_item_id::text FROM sla_clocks WHERE tenant_id = CAST(:tenant AS uuid)"
        " ORDER BY record_id, target",
        tenant=tenant.id,
    )
    by_record: dict[str, set[tuple[str, str | None]]] = {}
    for record_id, target, item_id in found:
        by_record.setdefault(record_id, set()).add((target, item_id))
    assert by_record == {
        submitted["id"]: {(t, item["id"]) for t in ("approval", "approval_step", "fulfilment", "resolution")},
        straight["id"]: {(t, without_approval["id"]) for t in ("approval", "fulfilment", "resolution")},
        change.json()["id"]: {(t, None) for t in ("approval", "fulfilment", "resolution")},
    }
