"""SLA clocks of single approval steps: a rung's clock runs from its opening to its decision, warns and breaches once.

Time is moved through the database (clock rows and their jobs' run times); nothing sleeps to wait.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import Actor, TenantContext
from tests.api.sla_helpers import clock_jobs, inbox_subjects, move_clocks_back, timeline_kinds
from tests.api.sweep_approvals import create_definition, decide, signed_in, step
from tests.api.sweep_itsm import CHANGES, REQUESTS, create_item, submit_request
from tests.api.sweep_sla import POLICIES, create_policy
from tests.jobs.conftest import wait_for

STEPS = [
    {"target": "approval_step", "step": 0, "minutes": 60, "clock": "wall"},
    {"target": "approval_step", "step": 1, "minutes": 30, "clock": "wall"},
    {"target": "approval", "minutes": 180, "clock": "wall"},
]


def _clocks(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{c['target']}{'' if c['step'] is None else c['step']}": c for c in body["sla"]}


async def _two_rung_item(t: TenantContext, app: FastAPI, targets: list[dict[str, Any]]) -> tuple[str, Actor, Actor]:
    """A catalog item approved by a lead, then a CAB member, held to a policy of `targets`."""
    lead, cab = await signed_in(t, app), await signed_in(t, app)
    definition = await create_definition(t, step("lead", 1, "user", lead.id), step("cab", 2, "user", cab.id))
    policy = await create_policy(t, targets, calendar_id=None)
    item = await create_item(t, variables=[], workflow_definition_id=definition["id"], sla_policy_id=policy["id"])
    return item["id"], lead, cab


async def _read(t: TenantContext, request_id: str) -> dict[str, dict[str, Any]]:
    return _clocks((await t.client.get(f"{REQUESTS}/{request_id}", headers=t.admin.headers)).json())


async def test_a_step_clock_runs_from_its_rungs_opening_to_its_decision(tenant: TenantContext, app: FastAPI) -> None:
    item_id, lead, cab = await _two_rung_item(tenant, app, STEPS)
    submitted = await submit_request(tenant.admin, item_id)
    clocks = _clocks(submitted)
    assert sorted(clocks) == ["approval", "approval_step0"], "only the first rung is open at submit"
    first = clocks["approval_step0"]
    assert first["started_at"] == clocks["approval"]["started_at"] == submitted["created_at"]
    assert datetime.fromisoformat(first["due_at"]) - datetime.fromisoformat(first["started_at"]) == timedelta(hours=1)
    assert (await _read(tenant, submitted["id"]))["approval_step0"]["step"] == 0

    await move_clocks_back(tenant, submitted["id"], timedelta(minutes=61), jobs=False)
    assert (await decide(lead, submitted["approval_instance_id"])).status_code == 200
    clocks = await _read(tenant, submitted["id"])
    assert clocks["approval_step0"]["state"] == "breached", "decided a minute late"
    assert clocks["approval_step0"]["stopped_at"] is not None
    second = clocks["approval_step1"]
    assert (second["state"], second["step"], second["minutes"]) == ("running", 1, 30)
    assert datetime.fromisoformat(second["started_at"]) > datetime.fromisoformat(clocks["approval"]["started_at"])
    assert clocks["approval"]["state"] == "running"
    assert [k for k, s, _ in await clock_jobs(tenant, submitted["id"]) if s == "queued"].count("sla.breach") == 3

    assert (await decide(cab, submitted["approval_instance_id"])).status_code == 200
    clocks = await _read(tenant, submitted["id"])
    assert {k: c["state"] for k, c in clocks.items()} == {
        "approval": "met", "approval_step0": "breached", "approval_step1": "met"
    }  # fmt: skip


async def test_a_rejected_rung_stops_its_clock_and_no_later_rung_starts(tenant: TenantContext, app: FastAPI) -> None:
    item_id, lead, _ = await _two_rung_item(tenant, app, STEPS)
    submitted = await submit_request(tenant.admin, item_id)
    response = await decide(lead, submitted["approval_instance_id"], "reject", comment="no budget")
    assert response.status_code == 200, response.text
    clocks = await _read(tenant, submitted["id"])
    assert {k: c["state"] for k, c in clocks.items()} == {"approval": "met", "approval_step0": "met"}


async def test_a_step_clock_warns_and_breaches_once_naming_its_step(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner
) -> None:
    item_id, _, _ = await _two_rung_item(tenant, app, STEPS[:1])
    submitted = await submit_request(tenant.admin, item_id)
    await move_clocks_back(tenant, submitted["id"], timedelta(minutes=61), copies=2)

    async def all_ran() -> bool:
        return sorted(s for _, s, _ in await clock_jobs(tenant, submitted["id"])) == ["succeeded"] * 4

    await wait_for(all_ran, timeout=30)
    assert await timeline_kinds(tenant, submitted["id"]) == ["sla_warning", "sla_breached"]
    subjects = await inbox_subjects(tenant, tenant.admin.id)
    assert len(subjects) == 2, subjects
    assert "approval step 1 target due" in subjects[0]
    assert "approval step 1 target breached" in subjects[1]
    assert (await _read(tenant, submitted["id"]))["approval_step0"]["state"] == "breached"


@pytest.mark.parametrize(
    ("target", "field"),
    [
        ({"target": "approval_step", "minutes": 60}, "targets.0"),
        ({"target": "resolution", "step": 0, "minutes": 60}, "targets.0"),
        ({"target": "approval_step", "step": 100, "minutes": 60}, "targets.0.step"),
    ],
)
async def test_a_bad_step_target_is_a_problem_naming_it(
    tenant: TenantContext, target: dict[str, Any], field: str
) -> None:
    body = {"name": "Steps", "targets": [{**target, "clock": "wall"}]}
    response = await tenant.client.post(POLICIES, json=body, headers=tenant.admin.headers)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]], response.json()


async def test_each_step_may_have_one_target(tenant: TenantContext) -> None:
    twice = [{"target": "approval_step", "step": 1, "minutes": m, "clock": "wall"} for m in (10, 20)]
    response = await tenant.client.post(
        POLICIES, json={"name": "Twice", "targets": twice}, headers=tenant.admin.headers
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["targets"]
    stored = await create_policy(tenant, STEPS, calendar_id=None)
    assert stored["targets"] == STEPS


async def test_a_changes_rungs_each_get_a_clock_from_their_opening_to_their_decision(
    tenant: TenantContext, app: FastAPI
) -> None:
    """A change whose type's policy times each rung: one clock per rung, started as the rung opens and stopped by
    its decision; decided a minute before its due time it is met, a minute after it breached."""
    lead, cab = await signed_in(tenant, app), await signed_in(tenant, app)
    definition = await create_definition(tenant, step("lead", 1, "user", lead.id), step("cab", 2, "user", cab.id))
    await create_policy(tenant, STEPS, calendar_id=None, change_types=["normal"])
    body = {"title": "Patch", "type": "normal", "workflow_definition_id": definition["id"]}
    created = await tenant.client.post(CHANGES, json=body, headers=tenant.admin.headers)
    assert created.status_code == 201, created.text
    change = created.json()

    async def read() -> dict[str, dict[str, Any]]:
        got = await tenant.client.get(f"{CHANGES}/{change['id']}", headers=tenant.admin.headers)
        return _clocks(got.json())

    clocks = await read()
    assert sorted(clocks) == ["approval", "approval_step0"], "only the first rung is open"
    first = clocks["approval_step0"]
    assert (first["state"], first["step"], first["minutes"]) == ("running", 0, 60)
    started = datetime.fromisoformat(first["started_at"])
    assert abs(started - datetime.fromisoformat(change["created_at"])) < timedelta(seconds=5)
    assert datetime.fromisoformat(first["due_at"]) - started == timedelta(hours=1)

    await move_clocks_back(tenant, change["id"], timedelta(minutes=59), jobs=False)  # decided at minute 59 of 60
    assert (await decide(lead, change["approval_instance_id"])).status_code == 200
    clocks = await read()
    assert (clocks["approval_step0"]["state"], clocks["approval_step0"]["met_at"] is not None) == ("met", True)
    second = clocks["approval_step1"]
    assert (second["state"], second["step"], second["minutes"]) == ("running", 1, 30)
    second_started = datetime.fromisoformat(second["started_at"])
    assert second_started >= datetime.fromisoformat(clocks["approval_step0"]["stopped_at"]), "opens at the decision"
    assert datetime.fromisoformat(second["due_at"]) - second_started == timedelta(minutes=30)

    await move_clocks_back(tenant, change["id"], timedelta(minutes=31), jobs=False)  # minute 31 of 30
    assert (await decide(cab, change["approval_instance_id"])).status_code == 200
    clocks = await read()
    assert {k: c["state"] for k, c in clocks.items()} == {
        "approval": "met", "approval_step0": "met", "approval_step1": "breached"
    }  # fmt: skip
    assert clocks["approval_step1"]["stopped_at"] is not None
