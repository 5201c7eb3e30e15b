"""A gate that nobody could ever decide ends at once with its reason, instead of waiting for ever.

No approver resolves (an empty group, a role nobody has), fewer possible approvers than `min_approvals`, or the
only possible approver is who started the execution (four-eyes): the gate's step fails with the reason, no
gate shows in anybody's inbox, and the execution follows the step's `always` edges or fails.
"""

from __future__ import annotations

from typing import Any

from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import TenantContext
from tests.api.sweep_automation import (
    GATES,
    create_workflow,
    edge,
    execute_workflow,
    script_runbook,
    step,
    steps_of,
    wait_until,
    workflow_body,
)

FINISHED = {"succeeded", "failed", "rejected", "cancelled"}


async def _gated(tenant: TenantContext, approvers: list[dict[str, Any]], **gate: Any) -> tuple[str, str]:
    after = await script_runbook(tenant, 'echo "ran=yes" > "$TP_OUTPUT"')
    body = workflow_body(
        step("approve", "approval", approvers=approvers, **gate), step("after", "runbook", runbook_id=after)
    )
    return str((await create_workflow(tenant, body))["id"]), after


async def _no_gate_for(tenant: TenantContext, execution: str) -> None:
    listed = (await tenant.client.get(GATES, headers=tenant.admin.headers)).json()["items"]
    assert [g for g in listed if g["execution_id"] == execution] == []


async def test_a_gate_whose_group_is_empty_fails_at_once_with_the_reason(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    group = await tenant.client.post("/api/groups", json={"name": "empty-cab"}, headers=tenant.admin.headers)
    assert group.status_code == 201, group.text
    workflow, _ = await _gated(tenant, [{"type": "group", "value": group.json()["id"]}])

    execution = await execute_workflow(tenant.admin, workflow)
    done = await wait_until(tenant.admin, execution, FINISHED, timeout=10)

    assert done["status"] == "failed", done
    gate_step = steps_of(done)["approve"]
    assert gate_step["status"] == "failed"
    assert (
        gate_step["reason"] == "nobody can decide this approval: no active user matches its approvers, and it needs 1"
    )
    assert steps_of(done)["after"]["status"] == "skipped"
    await _no_gate_for(tenant, execution)


async def test_a_quorum_larger_than_its_possible_approvers_fails_at_once(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    await tenant.user(roles=["cab"])
    await tenant.user(roles=["cab"])
    workflow, _ = await _gated(tenant, [{"type": "role", "value": "cab"}], min_approvals=3)

    done = await wait_until(tenant.admin, await execute_workflow(tenant.admin, workflow), FINISHED, timeout=10)

    assert done["status"] == "failed", done
    assert "only 2 people can approve it" in steps_of(done)["approve"]["reason"]
    assert "it needs 3" in steps_of(done)["approve"]["reason"]


async def test_a_gate_only_its_starter_could_approve_fails_by_the_four_eyes_rule(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    engineer = await tenant.user(roles=["automation_engineer"])
    workflow, _ = await _gated(tenant, [{"type": "role", "value": "automation_engineer"}])

    done = await wait_until(engineer, await execute_workflow(engineer, workflow), FINISHED, timeout=10)

    assert done["status"] == "failed", done
    assert "started the execution (four-eyes)" in steps_of(done)["approve"]["reason"]


async def test_an_undecidable_gate_still_follows_its_always_edge(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    fallback = await script_runbook(tenant, 'echo "paged=oncall" > "$TP_OUTPUT"')
    body = workflow_body(
        step("approve", "approval", approvers=[{"type": "role", "value": "nobody-has-this"}]),
        step("page", "runbook", runbook_id=fallback),
        edges=[edge("approve", "page", "always")],
    )
    workflow = str((await create_workflow(tenant, body))["id"])

    done = await wait_until(tenant.admin, await execute_workflow(tenant.admin, workflow), FINISHED, timeout=15)

    assert done["status"] == "succeeded", done
    assert steps_of(done)["approve"]["status"] == "failed"
    assert steps_of(done)["page"]["outputs"] == {"paged": "oncall"}


async def test_a_gate_with_enough_possible_approvers_waits_for_them(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    # The control: one more possible approver than the quorum needs, and the gate opens and waits.
    await tenant.user(roles=["cab"])
    await tenant.user(roles=["cab"])
    workflow, _ = await _gated(tenant, [{"type": "role", "value": "cab"}], min_approvals=2)

    execution = await execute_workflow(tenant.admin, workflow)

    waiting = await wait_until(tenant.admin, execution, {"waiting"}, timeout=10)
    assert steps_of(waiting)["approve"]["status"] == "waiting"
