"""A workflow's runbook step whose runbook is all inline built-ins (`echo`) runs in a job's transaction (its step's
own job, or the job whose transition started it): no runbook job, and the same execution, step runs, outputs and audit
events as a runbook run by its job."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import text

from tenantplane.automation.runs import runbook_steps
from tenantplane.automation.runs.steps import perform_step
from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import TenantContext
from tests.api.sweep_automation import create_workflow, execute_workflow, step, steps_of, wait_until, workflow_body
from tests.api.sweep_runbooks import create_runbook

FINISHED = {"succeeded", "failed", "rejected", "cancelled"}
ECHO = {"name": "say", "type": "echo", "values": {"greeting": "hello {{ parameters.who }}"}}


async def _echo_runbook(tenant: TenantContext, *actions: dict[str, Any]) -> str:
    body = {"actions": list(actions or [ECHO]), "parameters": {"type": "object", "properties": {"who": {}}}}
    return str((await create_runbook(tenant, tenant.client, **body))["id"])


async def _read(tenant: TenantContext, execution_id: str) -> dict[str, Any]:
    response = await tenant.client.get(f"/api/executions/{execution_id}", headers=tenant.admin.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _rows(tenant: TenantContext, query: str, **params: Any) -> list[Any]:
    async with tenant.database.transaction() as session:
        return list((await session.execute(text(query), params)).all())


def _at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def _shape(execution: dict[str, Any]) -> dict[str, Any]:
    """What a user sees of a runbook execution, without its ids and times (only whether they are set, in order)."""
    steps = [
        {
            **{k: s[k] for k in ("name", "type", "status", "outputs", "log", "reason", "exit_code", "position")},
            "timed": s["started_at"] is not None
            and s["finished_at"] is not None
            and _at(s["started_at"]) <= _at(s["finished_at"]),
        }
        for s in execution["steps"]
    ]
    ordered = _at(execution["created_at"]) <= _at(execution["started_at"]) <= _at(execution["finished_at"])
    keep = ("kind", "status", "outputs", "error", "parameters", "runbook_version", "name")
    return {**{k: execution[k] for k in keep}, "steps": steps, "ordered": ordered}


async def test_an_echo_runbook_step_runs_in_its_step_job_as_its_runbook_job_would_run_it(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    runbook = await _echo_runbook(tenant)
    body = workflow_body(
        step("greet", "runbook", runbook_id=runbook, parameters={"who": "ops"}),
        step("again", "runbook", runbook_id=runbook, parameters={"who": "{{ steps.greet.outputs.greeting }}"}),
    )
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "succeeded", done
    steps = steps_of(done)
    assert steps["greet"]["outputs"] == {"greeting": "hello ops"}
    assert steps["again"]["outputs"] == {"greeting": "hello hello ops"}
    assert _at(steps["greet"]["finished_at"]) <= _at(steps["again"]["started_at"])
    inline = await _read(tenant, steps["greet"]["runbook_execution_id"])
    # The same runbook started directly goes through its job: what both record is the same.
    response = await tenant.client.post(
        f"/api/runbooks/{runbook}/execute", json={"parameters": {"who": "ops"}}, headers=tenant.admin.headers
    )
    assert response.status_code == 202, response.text
    by_job = await wait_until(tenant.admin, response.json()["id"], FINISHED)
    assert _shape(inline) == _shape(by_job)
    assert inline["started_by"] == by_job["started_by"]
    jobs = await _rows(
        tenant,
        "SELECT kind, count(*) FROM jobs WHERE tenant_id = :t GROUP BY kind ORDER BY kind",
        t=uuid.UUID(tenant.id),
    )
    # The first step's job ran the second step's runbook too: the transition that started it was in that job.
    assert dict(jobs) == {"automation.run_step": 1, "runbooks.execute": 1}, "only the direct run took a runbook job"
    events = await _rows(
        tenant,
        "SELECT summary->>'origin' FROM audit_events WHERE action = 'runbook.executed' AND object_id = ANY(:ids)",
        ids=[steps[s]["runbook_execution_id"] for s in ("greet", "again")] + [by_job["id"]],
    )
    origins = sorted((e[0] or "").split(":")[0] for e in events)
    assert origins == ["", "workflow_step", "workflow_step"], "one runbook.executed per run, as by the job"


async def test_an_inline_runbook_that_fails_fails_its_step_and_the_workflow(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    broken = {"name": "render", "type": "echo", "values": {"x": "{{ parameters.who.missing.deeper }}"}}
    runbook = await _echo_runbook(tenant, broken, ECHO)
    body = workflow_body(step("greet", "runbook", runbook_id=runbook, parameters={"who": "ops"}))
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "failed", done
    greet = steps_of(done)["greet"]
    assert greet["status"] == "failed"
    child = await _read(tenant, greet["runbook_execution_id"])
    assert child["status"] == "failed"
    assert [s["status"] for s in child["steps"]] == ["failed", "skipped"]
    assert child["steps"][1]["reason"] == "not run: the execution failed"
    assert greet["reason"].startswith(f"runbook execution {child['id']} failed: action 'render' failed")


async def test_a_redelivered_inline_step_job_runs_its_runbook_once(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    runbook = await _echo_runbook(tenant)
    body = workflow_body(step("greet", "runbook", runbook_id=runbook, parameters={"who": "ops"}))
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    assert (await wait_until(tenant.admin, execution, FINISHED))["status"] == "succeeded"
    # The step's job committed; its success record is lost and the job runs again (a takeover after a crash).
    async with tenant.database.transaction() as session:
        await perform_step(
            session,
            tenant_id=uuid.UUID(tenant.id),
            execution_id=uuid.UUID(execution),
            step_id="greet",
            attempt=1,
            settings=worker.settings,
        )
    runs = await _rows(
        tenant, "SELECT status FROM executions WHERE tenant_id = :t AND kind = 'runbook'", t=uuid.UUID(tenant.id)
    )
    assert [r[0] for r in runs] == ["succeeded"]


async def test_a_chain_of_inline_runbook_steps_runs_in_one_job_up_to_the_limit(
    tenant: TenantContext, worker: ExecutionJobRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The transition that ends one echo step runs the next one's runbook right there, up to INLINE_RUNBOOK_LIMIT per
    transaction; past it the next step gets a job of its own, whose transitions go on the same way."""
    monkeypatch.setattr(runbook_steps, "INLINE_RUNBOOK_LIMIT", 2)
    runbook = await _echo_runbook(tenant)
    chain = [step("s0", "runbook", runbook_id=runbook, parameters={"who": "0"})]
    for i in range(1, 5):
        who = f"{{{{ steps.s{i - 1}.outputs.greeting }}}}"
        chain.append(step(f"s{i}", "runbook", runbook_id=runbook, parameters={"who": who}))
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, workflow_body(*chain)))["id"]))
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "succeeded", done
    steps = steps_of(done)
    assert steps["s4"]["outputs"] == {"greeting": "hello " * 4 + "hello 0"}
    for before, after in zip(done["steps"], done["steps"][1:], strict=False):
        assert _at(before["finished_at"]) <= _at(after["started_at"])
    jobs = await _rows(
        tenant,
        "SELECT payload->>'step_id' FROM jobs WHERE tenant_id = :t AND kind = 'automation.run_step' ORDER BY 1",
        t=uuid.UUID(tenant.id),
    )
    # s0's job ran s0 and, in its transitions, s1 and s2 (the limit); s3's job ran s3 and s4.
    assert [j[0] for j in jobs] == ["s0", "s3"]
    children = await _rows(
        tenant,
        "SELECT e.status, e.created_at <= e.started_at AND e.started_at <= e.finished_at FROM executions e "
        "JOIN step_runs s ON s.id = e.origin_id WHERE s.execution_id = :e ORDER BY s.position",
        e=uuid.UUID(execution),
    )
    assert children == [("succeeded", True)] * 5
    events = await _rows(
        tenant,
        "SELECT count(*) FROM audit_events WHERE action = 'runbook.executed' AND tenant_id = :t",
        t=uuid.UUID(tenant.id),
    )
    assert events == [(5,)]


async def test_an_inline_runbook_started_in_a_transition_is_retried_as_its_step_allows(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    broken = {"name": "render", "type": "echo", "values": {"x": "{{ parameters.who.missing.deeper }}"}}
    runbook = await _echo_runbook(tenant, broken)
    good = await _echo_runbook(tenant)
    body = workflow_body(
        step("first", "runbook", runbook_id=good, parameters={"who": "ops"}),
        step("flaky", "runbook", runbook_id=runbook, parameters={"who": "ops"}, retries={"count": 2, "backoff": 0}),
    )
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "failed", done
    flaky = steps_of(done)["flaky"]
    runs = await _rows(
        tenant,
        "SELECT e.status FROM executions e JOIN step_runs s ON s.id = e.origin_id "
        "WHERE s.execution_id = :e AND s.step_id = 'flaky' ORDER BY e.created_at",
        e=uuid.UUID(execution),
    )
    assert flaky["status"] == "failed"
    assert flaky["attempts"] == 1
    assert [r[0] for r in runs] == ["failed", "failed", "failed"], "the first run and its two retries"
