"""Approval gates in automation workflows: guard-railed runbooks, four-eyes, quorum, parallel gates, the inbox.

Decisions go through the public API with a real worker running the runbooks on either side of the gate.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import text

from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import TenantContext
from tests.api.sweep_approvals import create_definition, start_instance
from tests.api.sweep_approvals import step as itsm_step
from tests.api.sweep_automation import (
    GATES,
    create_workflow,
    decide,
    edge,
    execute_workflow,
    pending_gate,
    script_runbook,
    step,
    steps_of,
    wait_until,
    workflow_body,
)

FINISHED = {"succeeded", "failed", "rejected", "cancelled"}


async def _guard_railed(tenant: TenantContext, approvers: list[dict[str, Any]], **gate: Any) -> str:
    backup = await script_runbook(tenant, 'echo "snapshot=snap-1" > "$TP_OUTPUT"')
    destroy = await script_runbook(tenant, 'echo "dropped=$TP_PARAM_TABLE" > "$TP_OUTPUT"', {"type": "object"})
    body = workflow_body(
        step("backup", "runbook", runbook_id=backup),
        step("approve-drop", "approval", approvers=approvers, message="Drop {{ inputs.table }}?", **gate),
        step("drop", "runbook", runbook_id=destroy, parameters={"table": "{{ inputs.table }}"}),
    )
    return str((await create_workflow(tenant, body))["id"])


async def test_an_approved_gate_runs_the_destructive_runbook(
    tenant: TenantContext, worker: ExecutionJobRunner, app: FastAPI
) -> None:
    dba = await tenant.user(roles=["dba"])
    workflow = await _guard_railed(tenant, [{"type": "role", "value": "dba"}])
    execution = await execute_workflow(tenant.admin, workflow, {"table": "orders"})
    await wait_until(tenant.admin, execution, {"waiting"})
    gate = await pending_gate(tenant.admin, execution)
    assert gate["message"] == "Drop orders?"
    assert gate["subject"]["next_steps"][0]["parameters"] == {"table": "orders"}
    assert gate["subject"]["next_steps"][0]["runbook"].startswith("rb-"), gate["subject"]
    assert gate["subject"]["workflow"]["version"] == 1
    mine = (await tenant.client.get(GATES, params={"mine": "true"}, headers=dba.headers)).json()["items"]
    assert [g["id"] for g in mine] == [gate["id"]]
    notices = (await tenant.client.get("/api/notifications", headers=dba.headers)).json()["items"]
    assert [n["subject"] for n in notices] == ["Approval needed: approve-drop"]
    assert '{"table": "orders"}' in notices[0]["body"]
    assert notices[0]["link"] == f"/approvals/gates/{gate['id']}"  # the gate's page in the web UI
    answer = await decide(dba, gate["id"], "approve", "go")
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "approved"
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "succeeded", done
    assert steps_of(done)["approve-drop"]["status"] == "approved"
    assert steps_of(done)["drop"]["outputs"] == {"dropped": "orders"}
    assert (await decide(dba, gate["id"], "approve")).status_code == 409


async def test_a_rejected_gate_rejects_the_execution_and_nothing_destructive_runs(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    dba = await tenant.user(roles=["dba"])
    workflow = await _guard_railed(tenant, [{"type": "role", "value": "dba"}])
    execution = await execute_workflow(tenant.admin, workflow, {"table": "orders"})
    await wait_until(tenant.admin, execution, {"waiting"})
    gate = await pending_gate(tenant.admin, execution)
    assert (await decide(dba, gate["id"], "reject")).status_code == 422
    outsider = await tenant.user()
    assert (await decide(outsider, gate["id"], "reject", "no")).status_code == 403
    assert (await decide(dba, gate["id"], "reject", "not today")).status_code == 200
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "rejected"
    assert steps_of(done)["drop"]["status"] == "skipped"
    assert (await decide(dba, gate["id"], "approve")).status_code == 409
    gates = (await tenant.client.get(GATES, params={"status": "rejected"}, headers=tenant.admin.headers)).json()
    assert [g["id"] for g in gates["items"]] == [gate["id"]]


async def test_whoever_started_the_execution_cannot_approve_its_gate(tenant: TenantContext, app: FastAPI) -> None:
    engineer = await tenant.user(roles=["automation_engineer"])
    await tenant.user(roles=["automation_engineer"])  # someone else who may decide: else nobody could
    body = workflow_body(step("ok", "approval", approvers=[{"type": "role", "value": "automation_engineer"}]))
    workflow = str((await create_workflow(tenant, body))["id"])
    execution = await execute_workflow(engineer, workflow)
    gate = await pending_gate(tenant.admin, execution)
    refused = await decide(engineer, gate["id"], "approve")
    assert refused.status_code == 403
    assert "Four-eyes" in refused.json()["detail"]
    mine = (await tenant.client.get(GATES, params={"mine": "true"}, headers=engineer.headers)).json()["items"]
    assert mine == []


async def test_a_workflow_may_opt_out_of_the_four_eyes_rule(tenant: TenantContext) -> None:
    engineer = await tenant.user(roles=["automation_engineer"])
    body = workflow_body(
        step("ok", "approval", approvers=[{"type": "role", "value": "automation_engineer"}]),
        step("later", "delay", seconds=3600),
        allow_self_approval=True,
    )
    workflow = await create_workflow(tenant, body)
    assert workflow["allow_self_approval"] is True
    execution = await execute_workflow(engineer, str(workflow["id"]))
    gate = await pending_gate(tenant.admin, execution)
    mine = (await tenant.client.get(GATES, params={"mine": "true"}, headers=engineer.headers)).json()["items"]
    assert [g["id"] for g in mine] == [gate["id"]]
    assert (await decide(engineer, gate["id"], "approve")).status_code == 200


async def test_a_quorum_of_two_distinct_approvers_is_needed(tenant: TenantContext, worker: ExecutionJobRunner) -> None:
    first, second = await tenant.user(roles=["cab"]), await tenant.user(roles=["cab"])
    workflow = await _guard_railed(tenant, [{"type": "role", "value": "cab"}], min_approvals=2)
    execution = await execute_workflow(tenant.admin, workflow, {"table": "t"})
    await wait_until(tenant.admin, execution, {"waiting"})
    gate = await pending_gate(tenant.admin, execution)
    assert (await decide(first, gate["id"], "approve")).json()["status"] == "pending"
    assert (await decide(first, gate["id"], "approve")).status_code == 409
    assert (await wait_until(tenant.admin, execution, {"waiting"}))["status"] == "waiting"
    assert (await decide(second, gate["id"], "approve")).json()["status"] == "approved"
    assert (await wait_until(tenant.admin, execution, FINISHED))["status"] == "succeeded"


async def test_gates_in_parallel_branches_are_decided_apart_and_the_join_waits(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    approver = await tenant.user(roles=["ops"])
    join = await script_runbook(tenant, 'echo "joined=1" > "$TP_OUTPUT"')
    anyone = [{"type": "role", "value": "ops"}]
    body = workflow_body(
        step("start", "delay", seconds=0),
        step("left-gate", "approval", approvers=anyone),
        step("right-gate", "approval", approvers=anyone),
        step("join", "runbook", runbook_id=join),
        edges=[
            edge("start", "left-gate"),
            edge("start", "right-gate"),
            edge("left-gate", "join"),
            edge("right-gate", "join", "always"),
        ],
    )
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    await wait_until(tenant.admin, execution, {"waiting"}, step="right-gate")
    left = await pending_gate(tenant.admin, execution, "left-gate")
    right = await pending_gate(tenant.admin, execution, "right-gate")
    assert (await decide(approver, left["id"], "approve")).status_code == 200
    waiting = await wait_until(tenant.admin, execution, {"waiting"})
    assert steps_of(waiting)["join"]["status"] == "pending"
    assert steps_of(waiting)["right-gate"]["status"] == "waiting"
    assert (await decide(approver, right["id"], "reject", "no, but carry on")).status_code == 200
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "succeeded", done
    assert steps_of(done)["right-gate"]["status"] == "rejected"
    assert steps_of(done)["join"]["outputs"] == {"joined": "1"}


async def test_a_gate_times_out_to_its_on_timeout_choice(tenant: TenantContext, worker: ExecutionJobRunner) -> None:
    await tenant.user()  # somebody besides the starter who could decide: else the gate could never open
    body = workflow_body(step("ok", "approval", approvers=[{"type": "any"}], timeout_seconds=0.5, on_timeout="reject"))
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    gate = await pending_gate(tenant.admin, execution)
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "rejected"
    assert steps_of(done)["ok"]["status"] == "timed_out"
    answer = await tenant.client.get(f"{GATES}/{gate['id']}", headers=tenant.admin.headers)
    assert answer.json()["status"] == "timed_out"


async def test_a_gate_skipped_on_timeout_goes_on_along_its_plain_edge_only(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    await tenant.user()  # somebody besides the starter who could decide: else the gate could never open
    after = await script_runbook(tenant, 'echo "ran=yes" > "$TP_OUTPUT"')
    body = workflow_body(
        step("ok", "approval", approvers=[{"type": "any"}], timeout_seconds=0.5, on_timeout="skip"),
        step("after", "runbook", runbook_id=after),
        step("only-if-approved", "runbook", runbook_id=after),
        edges=[edge("ok", "after"), edge("ok", "only-if-approved", "approved")],
    )
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "succeeded", done
    steps = steps_of(done)
    assert (steps["ok"]["status"], steps["after"]["status"]) == ("timed_out", "succeeded")
    assert steps["only-if-approved"]["status"] == "skipped"


async def test_the_inbox_shows_itsm_steps_and_automation_gates(tenant: TenantContext) -> None:
    approver = await tenant.user(roles=["cab"])
    definition = await create_definition(tenant, itsm_step("cab", 1, "role", "cab"))
    instance = await start_instance(tenant.admin, definition["id"])
    body = workflow_body(step("ok", "approval", approvers=[{"type": "role", "value": "cab"}], message="Restart?"))
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    gate = await pending_gate(tenant.admin, execution)
    items = (await tenant.client.get("/api/approvals/inbox", headers=approver.headers)).json()["items"]
    assert [(i["kind"], i["id"]) for i in items] == [("automation", gate["id"]), ("itsm", instance["id"])]
    assert items[0]["title"] == "Restart?"
    assert items[0]["link"].endswith(gate["id"])
    nobody = await tenant.user()
    assert (await tenant.client.get("/api/approvals/inbox", headers=nobody.headers)).json()["items"] == []


async def test_the_inbox_pages_through_both_kinds_newest_first_without_gaps_or_repeats(tenant: TenantContext) -> None:
    approver = await tenant.user(roles=["cab"])
    definition = await create_definition(tenant, itsm_step("cab", 1, "role", "cab"))
    body = workflow_body(step("ok", "approval", approvers=[{"type": "role", "value": "cab"}]))
    workflow = str((await create_workflow(tenant, body))["id"])
    expected: list[str] = []
    for _ in range(3):  # interleaved: ITSM, gate, ITSM, gate, ...
        expected.append((await start_instance(tenant.admin, definition["id"]))["id"])
        expected.append((await pending_gate(tenant.admin, await execute_workflow(tenant.admin, workflow)))["id"])
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(4):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await tenant.client.get("/api/approvals/inbox", params=params, headers=approver.headers)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(expected)), "newest first, every item once"
    assert cursor is None
    bad = await tenant.client.get("/api/approvals/inbox", params={"cursor": "nope"}, headers=approver.headers)
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "query.cursor"


async def test_concurrent_decisions_on_one_gate_count_once(tenant: TenantContext) -> None:
    first, second = await tenant.user(roles=["cab"]), await tenant.user(roles=["cab"])
    body = workflow_body(
        step("ok", "approval", approvers=[{"type": "role", "value": "cab"}]), step("later", "delay", seconds=3600)
    )
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    gate = await pending_gate(tenant.admin, execution)
    answers = await asyncio.gather(decide(first, gate["id"], "approve"), decide(second, gate["id"], "approve"))
    assert sorted(a.status_code for a in answers) == [200, 409]
    read = (await tenant.client.get(f"{GATES}/{gate['id']}", headers=tenant.admin.headers)).json()
    assert len(read["decisions"]) == 1
    assert (await wait_until(tenant.admin, execution, {"waiting"}, step="later"))["status"] == "waiting"


async def test_a_retried_execution_opens_a_new_gate_and_never_reuses_the_old_decision(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    approver = await tenant.user(roles=["ops"])
    body = workflow_body(
        step("ok", "approval", approvers=[{"type": "role", "value": "ops"}]), step("later", "delay", seconds=0)
    )
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    first = await pending_gate(tenant.admin, execution)
    assert (await decide(approver, first["id"], "reject", "not now")).status_code == 200
    assert (await wait_until(tenant.admin, execution, FINISHED))["status"] == "rejected"
    retried = await tenant.client.post(f"/api/executions/{execution}/retry", headers=tenant.admin.headers)
    assert retried.status_code == 202, retried.text
    second = await pending_gate(tenant.admin, execution)
    assert second["id"] != first["id"]
    assert (second["attempt"], second["decisions"]) == (2, [])
    mine = (await tenant.client.get(GATES, params={"mine": "true"}, headers=approver.headers)).json()["items"]
    assert [g["id"] for g in mine] == [second["id"]]
    assert (await decide(approver, first["id"], "approve")).status_code == 409
    assert (await decide(approver, second["id"], "approve")).status_code == 200
    assert (await wait_until(tenant.admin, execution, FINISHED))["status"] == "succeeded"


async def test_a_delegate_decides_for_an_absent_approver_and_the_decision_records_both(
    tenant: TenantContext,
) -> None:
    approver, delegate = await tenant.user(), await tenant.user()
    body = workflow_body(
        step("ok", "approval", approvers=[{"type": "user", "value": approver.email}]),
        step("later", "delay", seconds=3600),
    )
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    gate = await pending_gate(tenant.admin, execution)
    assert (await decide(delegate, gate["id"], "approve")).status_code == 403
    until = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    delegated = await tenant.client.patch(
        f"/api/users/{approver.id}",
        json={"delegate_id": delegate.id, "delegate_until": until},
        headers=tenant.admin.headers,
    )
    assert delegated.status_code == 200, delegated.text
    mine = (await tenant.client.get(GATES, params={"mine": "true"}, headers=delegate.headers)).json()["items"]
    assert [g["id"] for g in mine] == [gate["id"]]
    inbox = (await tenant.client.get("/api/approvals/inbox", headers=delegate.headers)).json()["items"]
    assert [i["id"] for i in inbox] == [gate["id"]]
    answer = await decide(delegate, gate["id"], "approve", "covering")
    assert answer.status_code == 200, answer.text
    decision = answer.json()["decisions"][0]
    assert (answer.json()["status"], decision["user_id"], decision["on_behalf_of"]) == (
        "approved",
        delegate.id,
        approver.id,
    )


async def test_a_decision_racing_the_pausing_transition_waits_for_it_and_is_applied(
    tenant: TenantContext, worker: ExecutionJobRunner, app: FastAPI
) -> None:
    approver = await tenant.user(roles=["dba"])
    marker = await script_runbook(tenant, 'echo "after=yes" > "$TP_OUTPUT"')
    body = workflow_body(
        step("ok", "approval", approvers=[{"type": "role", "value": "dba"}]),
        step("after", "runbook", runbook_id=marker),
    )
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    gate = await pending_gate(tenant.admin, execution)
    # Another transaction holds the execution row, as the engine does while it commits a transition (the
    # pause itself, or a parallel branch finishing): the decision must wait for it, then count.
    async with app.state.db.engine.connect() as conn:
        transaction = await conn.begin()
        await conn.execute(text("SELECT id FROM executions WHERE id = :id FOR UPDATE"), {"id": execution})
        racing = asyncio.create_task(decide(approver, gate["id"], "approve", "go"))
        await asyncio.sleep(0.5)
        assert not racing.done(), "the decision did not wait for the transition holding the execution"
        await transaction.commit()
    answer = await asyncio.wait_for(racing, timeout=10)
    assert answer.status_code == 200, answer.text
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "succeeded", done
    assert steps_of(done)["ok"]["status"] == "approved"
    assert steps_of(done)["after"]["outputs"] == {"after": "yes"}
