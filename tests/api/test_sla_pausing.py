"""Requests awaiting their requester: a fulfiller asks, the requester's comment (or a resume) ends the wait, and the
clocks of a policy with `pause_on_requester` count nothing meanwhile. Time is moved through the database."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import TenantContext
from tests.api.sla_helpers import clock_jobs, rows, timeline_kinds
from tests.api.sweep_itsm import REQUESTS, create_item, submit_request
from tests.api.sweep_sla import create_policy
from tests.jobs.conftest import wait_for

TARGETS = [
    {"target": "fulfilment", "minutes": 60, "clock": "wall"},
    {"target": "resolution", "minutes": 120, "clock": "wall"},
]


def _clocks(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["target"]: c for c in body["sla"]}


async def _in_fulfillment(t: TenantContext, *, pause: bool) -> dict[str, Any]:
    policy = await create_policy(t, TARGETS, calendar_id=None, pause_on_requester=pause)
    assert policy["pause_on_requester"] is pause
    item = await create_item(t, variables=[], sla_policy_id=policy["id"])
    submitted = await submit_request(t.admin, item["id"])
    assert submitted["status"] == "in_fulfillment"
    return submitted


async def _ask(t: TenantContext, request_id: str) -> dict[str, Any]:
    body = {"comment": "Which colour?"}
    response = await t.client.post(f"{REQUESTS}/{request_id}/await-requester", json=body, headers=t.admin.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def _pause_started_earlier(t: TenantContext, request_id: str, by: timedelta) -> None:
    await rows(
        t,
        "UPDATE sla_clocks SET paused_at = paused_at - :by WHERE record_id = CAST(:r AS uuid) RETURNING id",
        by=by,
        r=request_id,
    )


async def test_the_requesters_answer_resumes_the_request_and_moves_its_clocks_on(tenant: TenantContext) -> None:
    submitted = await _in_fulfillment(tenant, pause=True)
    due = {k: datetime.fromisoformat(c["due_at"]) for k, c in _clocks(submitted).items()}
    waiting = await _ask(tenant, submitted["id"])
    assert waiting["status"] == "awaiting_requester"
    clocks = _clocks(waiting)
    assert {k: c["state"] for k, c in clocks.items()} == {"fulfilment": "paused", "resolution": "paused"}
    assert 3500 < clocks["fulfilment"]["seconds_left"] <= 3600
    assert "awaiting_requester" in [e["kind"] for e in waiting["timeline"]]
    [(body,)] = await rows(
        tenant,
        "SELECT body FROM notifications WHERE user_id = CAST(:u AS uuid) AND subject LIKE '%: awaiting requester'",
        u=tenant.admin.id,
    )
    assert body == f"{submitted['number']} waits for your answer: Which colour?", "the requester is told"

    await _pause_started_earlier(tenant, submitted["id"], timedelta(minutes=30))
    url = f"{REQUESTS}/{submitted['id']}/comments"
    answered = await tenant.client.post(url, json={"comment": "Blue"}, headers=tenant.admin.headers)
    assert answered.status_code == 201, answered.text
    assert answered.json()["status"] == "in_fulfillment"
    clocks = _clocks(answered.json())
    for target in ("fulfilment", "resolution"):
        assert (clocks[target]["state"], clocks[target]["paused_at"]) == ("running", None)
        moved = datetime.fromisoformat(clocks[target]["due_at"]) - due[target]
        assert timedelta(minutes=30) <= moved < timedelta(minutes=31), "the clock counted nothing while paused"
    queued = [r for k, s, r in await clock_jobs(tenant, submitted["id"]) if k == "sla.breach" and s == "queued"]
    assert datetime.fromisoformat(clocks["fulfilment"]["due_at"]) in queued, "its breach timer is queued anew"


async def test_without_the_flag_the_clocks_run_on_and_a_fulfiller_resumes(tenant: TenantContext) -> None:
    submitted = await _in_fulfillment(tenant, pause=False)
    waiting = await _ask(tenant, submitted["id"])
    assert {c["state"] for c in waiting["sla"]} == {"running"}
    resumed = await tenant.client.post(f"{REQUESTS}/{submitted['id']}/resume", json={}, headers=tenant.admin.headers)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["status"] == "in_fulfillment"
    assert [c["due_at"] for c in resumed.json()["sla"]] == [c["due_at"] for c in submitted["sla"]]
    again = await tenant.client.post(f"{REQUESTS}/{submitted['id']}/resume", json={}, headers=tenant.admin.headers)
    assert again.status_code == 409, again.text


async def test_only_fulfillers_ask_and_a_cancelled_wait_cancels_the_paused_clocks(tenant: TenantContext) -> None:
    submitted = await _in_fulfillment(tenant, pause=True)
    requester = await tenant.user([])
    url = f"{REQUESTS}/{submitted['id']}/await-requester"
    refused = await tenant.client.post(url, json={"comment": "?"}, headers=requester.headers)
    assert refused.status_code in (403, 404), refused.text
    await _ask(tenant, submitted["id"])
    cancelled = await tenant.client.post(f"{REQUESTS}/{submitted['id']}/cancel", json={}, headers=tenant.admin.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert {c["state"] for c in cancelled.json()["sla"]} == {"cancelled"}


async def test_the_timers_of_a_paused_clock_fire_nothing(tenant: TenantContext, worker: ExecutionJobRunner) -> None:
    submitted = await _in_fulfillment(tenant, pause=True)
    await _ask(tenant, submitted["id"])
    await rows(tenant, "UPDATE jobs SET run_at = now() WHERE kind LIKE 'sla.%' AND status = 'queued' RETURNING id")

    async def ran() -> bool:
        return {s for _, s, _ in await clock_jobs(tenant, submitted["id"])} == {"succeeded"}

    await wait_for(ran, timeout=30)
    assert await timeline_kinds(tenant, submitted["id"]) == []
    read = (await tenant.client.get(f"{REQUESTS}/{submitted['id']}", headers=tenant.admin.headers)).json()
    assert {c["state"] for c in read["sla"]} == {"paused"}
