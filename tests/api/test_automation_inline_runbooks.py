"""A workflow's runbook step whose runbook is all inline built-ins (`echo`) runs in the step's own job: no runbook
job, and the same execution, step runs, outputs and audit events as a runbook run by its job."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text

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
    assert dict(jobs) == {"automation.run_step": 2, "runbooks.execute": 1}, "only the direct run took a runbook job"
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
