"""A runbook step that a job's transition makes ready starts its runbook in that transaction: no step job in between,
the same records as when the step's job started it, and a runbook that cannot start fails the step the same way."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text

from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import TenantContext
from tests.api.sweep_automation import (
    create_workflow,
    execute_workflow,
    script_runbook,
    step,
    steps_of,
    wait_until,
    workflow_body,
)

FINISHED = {"succeeded", "failed", "rejected", "cancelled"}


async def _jobs(tenant: TenantContext) -> dict[str, int]:
    async with tenant.database.transaction() as session:
        rows = await session.execute(
            text("SELECT kind, count(*) FROM jobs WHERE tenant_id = :t GROUP BY kind"), {"t": uuid.UUID(tenant.id)}
        )
        return {kind: int(n) for kind, n in rows.all()}


def _at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


async def _child(tenant: TenantContext, step_run: dict[str, Any]) -> dict[str, Any]:
    response = await tenant.client.get(
        f"/api/executions/{step_run['runbook_execution_id']}", headers=tenant.admin.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_script_step_after_another_starts_with_the_end_of_the_one_before(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    first = await script_runbook(tenant, 'echo "seen=one" > "$TP_OUTPUT"')
    second = await script_runbook(tenant, 'echo "got=$TP_PARAM_SEEN" > "$TP_OUTPUT"', {"type": "object"})
    body = workflow_body(
        step("one", "runbook", runbook_id=first),
        step("two", "runbook", runbook_id=second, parameters={"seen": "{{ steps.one.outputs.seen }}"}),
    )
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "succeeded", done
    steps = steps_of(done)
    assert steps["two"]["outputs"] == {"got": "one"}
    assert _at(steps["one"]["finished_at"]) <= _at(steps["two"]["started_at"])
    one, two = await _child(tenant, steps["one"]), await _child(tenant, steps["two"])
    assert two["parameters"] == {"seen": "one"}
    assert one["caused_by"] == two["caused_by"] == done["caused_by"]
    stamps = [steps["two"]["started_at"], two["created_at"], two["started_at"], two["finished_at"]]
    assert [_at(t) for t in stamps] == sorted(_at(t) for t in stamps)
    # The start (an API request) enqueued step one's job; step two started with the end of step one's runbook.
    assert await _jobs(tenant) == {"automation.run_step": 1, "runbooks.execute": 2}


async def test_a_runbook_step_that_cannot_start_fails_as_its_job_would_fail_it(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    first = await script_runbook(tenant, 'echo "seen=one" > "$TP_OUTPUT"')
    second = await script_runbook(tenant, "true", {"type": "object"})
    broken = "{{ steps.one.outputs.seen.missing.deeper }}"
    body = workflow_body(
        step("one", "runbook", runbook_id=first),
        step("two", "runbook", runbook_id=second, parameters={"seen": broken}),
    )
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "failed", done
    two = steps_of(done)["two"]
    assert two["status"] == "failed"
    assert two["runbook_execution_id"] is None
    assert two["reason"], two
    assert done["error"] == "failed: step 'two' ended it with no edge to handle it"
    assert await _jobs(tenant) == {"automation.run_step": 1, "runbooks.execute": 1}
