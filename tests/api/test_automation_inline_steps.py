"""Condition steps and zero delays run inline in the job that made them ready, recorded as if a job ran each.

A chain of conditions is one `automation.run_step` job, yet every step run has its status, outputs, attempt
and timestamps in order; a failing condition fails the same way; an execution keeps its pinned version even
though compiled versions are cached per process.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import func, select

from tenantplane.automation.runs import service
from tenantplane.automation.runs import state as runs
from tenantplane.jobs.models import Job
from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import TenantContext
from tests.api.sweep_automation import (
    WORKFLOWS,
    create_workflow,
    decide,
    edge,
    execute_workflow,
    pending_gate,
    step,
    steps_of,
    wait_until,
    workflow_body,
)

FINISHED = {"succeeded", "failed", "rejected", "cancelled"}


def _chain(conditions: int, expression: str = "inputs.n > 0") -> dict[str, Any]:
    """`conditions` conditions (true → next, false → `end`), closed by a 0 s delay `end` (and `never`)."""
    ids = [f"c{i:03d}" for i in range(conditions)]
    steps = [step(sid, "condition", expression=expression) for sid in ids]
    steps += [step("end", "delay", seconds=0), step("never", "delay", seconds=0)]
    edges = []
    for i, sid in enumerate(ids):
        last = i + 1 == len(ids)
        edges.append(edge(sid, "end" if last else ids[i + 1], "true"))
        edges.append(edge(sid, "never" if last else "end", "false"))
    return workflow_body(*steps, edges=edges, inputs={"type": "object", "properties": {"n": {"type": "integer"}}})


async def _jobs(tenant: TenantContext, execution_id: str, kind: str) -> int:
    async with tenant.database.transaction() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.kind == kind, Job.payload["execution_id"].astext == execution_id)
        )
    return int(count or 0)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_a_198_condition_chain_runs_in_one_job_and_records_every_step_in_order(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    workflow = await create_workflow(tenant, _chain(198))
    execution = await execute_workflow(tenant.admin, str(workflow["id"]), {"n": 3})
    done = await wait_until(tenant.admin, execution, FINISHED, timeout=60)
    assert done["status"] == "succeeded", done
    runs = steps_of(done)
    chain = [runs[f"c{i:03d}"] for i in range(198)] + [runs["end"]]
    for run in chain[:-1]:
        assert (run["status"], run["outputs"], run["attempts"], run["reason"]) == (
            "succeeded",
            {"result": True},
            1,
            None,
        ), run
    assert (runs["end"]["status"], runs["end"]["attempts"]) == ("succeeded", 1)
    assert runs["never"]["status"] == "skipped"
    for before, after in pairwise(chain):
        assert _time(before["started_at"]) <= _time(before["finished_at"]) <= _time(after["started_at"])
    assert _time(chain[-1]["finished_at"]) <= _time(done["finished_at"])
    assert done["outputs"]["c197"] == {"result": True}
    # The first condition was enqueued by the start (an API request); the job that ran it ran all the rest.
    assert await _jobs(tenant, execution, "automation.run_step") == 1
    assert await _jobs(tenant, execution, "automation.timer") == 0


async def test_past_the_inline_limit_the_next_step_goes_to_the_job_runner(
    tenant: TenantContext, worker: ExecutionJobRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "INLINE_STEP_LIMIT", 5)
    workflow = await create_workflow(tenant, _chain(12))
    execution = await execute_workflow(tenant.admin, str(workflow["id"]), {"n": 1})
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "succeeded", done
    assert all(run["status"] in ("succeeded", "skipped") for run in done["steps"]), done["steps"]
    # c000 (its job) + c001..c005 inline; c006 (its job) + c007..c011 inline; the 0 s delay `end` as a timer job
    assert await _jobs(tenant, execution, "automation.run_step") == 2
    assert await _jobs(tenant, execution, "automation.timer") == 1


async def test_an_inline_condition_decides_branches_from_earlier_outputs_and_a_broken_one_fails(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    body = workflow_body(
        step("big", "condition", expression="inputs.n > 10"),
        step("bigger", "condition", expression="steps.big.outputs.result and inputs.n > 100"),
        step("broken", "condition", expression="(1 // 0) > 0"),
        step("small", "delay", seconds=0),
        step("huge", "delay", seconds=0),
        step("rescue", "delay", seconds=0),
        edges=[
            edge("big", "bigger", "true"),
            edge("big", "small", "false"),
            edge("bigger", "huge", "true"),
            edge("bigger", "broken", "false"),
            edge("broken", "rescue", "true"),
            edge("broken", "rescue", "false"),
        ],
        inputs={"type": "object", "properties": {"n": {"type": "integer"}}},
    )
    workflow = str((await create_workflow(tenant, body))["id"])

    huge = await wait_until(tenant.admin, await execute_workflow(tenant.admin, workflow, {"n": 500}), FINISHED)
    assert huge["status"] == "succeeded", huge
    runs = steps_of(huge)
    assert [runs[s]["status"] for s in ("big", "bigger", "huge", "small", "broken", "rescue")] == [
        "succeeded",
        "succeeded",
        "succeeded",
        "skipped",
        "skipped",
        "skipped",
    ]
    assert runs["bigger"]["outputs"] == {"result": True}

    failing = await execute_workflow(tenant.admin, workflow, {"n": 50})
    failed = await wait_until(tenant.admin, failing, FINISHED)
    assert failed["status"] == "failed", failed
    runs = steps_of(failed)
    assert runs["bigger"]["outputs"] == {"result": False}
    assert runs["broken"]["status"] == "failed"
    assert "ZeroDivisionError" in (runs["broken"]["reason"] or ""), runs["broken"]
    assert runs["rescue"]["status"] == "skipped"
    assert "broken" in (failed["error"] or "")
    assert await _jobs(tenant, failing, "automation.run_step") == 1


async def test_an_inline_failure_ends_the_execution_and_cancels_the_parallel_inline_branch(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    body = workflow_body(
        step("root", "condition", expression="true"),
        step("broken", "condition", expression="(1 // 0) > 0"),
        step("fine", "condition", expression="true"),
        step("after-broken", "delay", seconds=0),
        step("after-fine", "delay", seconds=0),
        step("otherwise", "delay", seconds=0),
        edges=[
            edge("root", "broken", "true"),
            edge("root", "fine", "true"),
            edge("root", "otherwise", "false"),
            edge("broken", "after-broken", "true"),
            edge("broken", "after-broken", "false"),
            edge("fine", "after-fine", "true"),
            edge("fine", "after-fine", "false"),
        ],
    )
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "failed", done
    runs = steps_of(done)
    statuses = {step_id: run["status"] for step_id, run in runs.items()}
    assert statuses == {
        "root": "succeeded",
        "broken": "failed",
        "fine": "cancelled",  # started with `broken`, cancelled when `broken` failed the execution
        "after-broken": "skipped",
        "after-fine": "skipped",
        "otherwise": "skipped",
    }
    assert runs["fine"]["outputs"] == {}
    assert await _jobs(tenant, execution, "automation.run_step") == 1


async def test_a_new_version_is_honoured_by_new_executions_while_a_running_one_keeps_its_own(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    await tenant.user()  # a possible approver besides the starter

    def body(threshold: int) -> dict[str, Any]:
        return workflow_body(
            step("sign-off", "approval", approvers=[{"type": "any"}]),
            step("check", "condition", expression=f"inputs.n > {threshold}"),
            step("yes", "delay", seconds=0),
            step("no", "delay", seconds=0),
            edges=[edge("sign-off", "check", "approved"), edge("check", "yes", "true"), edge("check", "no", "false")],
            inputs={"type": "object", "properties": {"n": {"type": "integer"}}},
            allow_self_approval=True,
        )

    workflow = str((await create_workflow(tenant, body(5)))["id"])
    old = await execute_workflow(tenant.admin, workflow, {"n": 10})
    await wait_until(tenant.admin, old, {"waiting"})
    changed = await tenant.client.put(f"{WORKFLOWS}/{workflow}", json=body(50), headers=tenant.admin.headers)
    assert changed.status_code == 200, changed.text
    new = await execute_workflow(tenant.admin, workflow, {"n": 10})
    await wait_until(tenant.admin, new, {"waiting"})
    tenant_id = uuid.UUID(tenant.id)
    cached = {key[2] for key in runs.version_cache.entries if key[:2] == (tenant_id, uuid.UUID(workflow))}
    assert cached == {1, 2}, "both versions were compiled (and cached) by this process"

    for execution in (old, new):
        response = await decide(tenant.admin, (await pending_gate(tenant.admin, execution))["id"])
        assert response.status_code == 200, response.text
    old_done = await wait_until(tenant.admin, old, FINISHED)
    new_done = await wait_until(tenant.admin, new, FINISHED)
    assert (old_done["workflow_version"], steps_of(old_done)["check"]["outputs"]) == (1, {"result": True})
    assert steps_of(old_done)["yes"]["status"] == "succeeded"
    assert (new_done["workflow_version"], steps_of(new_done)["check"]["outputs"]) == (2, {"result": False})
    assert steps_of(new_done)["no"]["status"] == "succeeded"


def test_the_version_cache_is_a_bounded_lru() -> None:
    cache = runs._VersionCache(2)
    graph = runs.graph_of({"steps": [{"id": "a", "type": "delay"}], "edges": []})
    compiled = runs.CompiledVersion({"steps": []}, graph, {})
    tenant, workflow = uuid.uuid4(), uuid.uuid4()
    cache.put((tenant, workflow, 1), compiled)
    cache.put((tenant, workflow, 2), compiled)
    assert cache.get((tenant, workflow, 1)) is compiled  # now the most recently used
    cache.put((tenant, workflow, 3), compiled)
    assert [key[2] for key in cache.entries] == [1, 3]
    assert cache.get((tenant, workflow, 2)) is None
