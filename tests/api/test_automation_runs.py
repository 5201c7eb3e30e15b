"""Automation executions with a real worker and real runbook scripts: branching, delays, failures, cancel, retry.

Each scenario is one a user of the product would recognise: incident remediation, a maintenance window.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from tenantplane.automation.runs.steps import perform_step
from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import TenantContext
from tests.api.sweep_automation import (
    create_workflow,
    edge,
    execute_workflow,
    script_runbook,
    step,
    steps_of,
    wait_until,
    workflow_body,
)
from tests.api.sweep_runbooks import runbook_body

FINISHED = {"succeeded", "failed", "rejected", "cancelled"}


async def _in_app_channel(tenant: TenantContext) -> str:
    body = {"name": "ops-inbox", "type": "in_app", "config": {"users": [tenant.admin.id]}}
    response = await tenant.client.post("/api/notifications/channels", json=body, headers=tenant.admin.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _remediation(tenant: TenantContext) -> str:
    diagnose = await script_runbook(tenant, 'echo "load=$TP_PARAM_LOAD" > "$TP_OUTPUT"', {"type": "object"})
    escalate = await script_runbook(tenant, 'echo "paged=$TP_PARAM_WHO" > "$TP_OUTPUT"', {"type": "object"})
    await _in_app_channel(tenant)
    body = workflow_body(
        step("diagnose", "runbook", runbook_id=diagnose, parameters={"load": "{{ inputs.load }}"}),
        step("too-busy", "condition", expression="steps.diagnose.outputs.load | int > 80"),
        step("escalate", "runbook", runbook_id=escalate, parameters={"who": "oncall-{{ inputs.team }}"}),
        step(
            "all-clear", "notification", channel="ops-inbox", subject="Load {{ steps.diagnose.outputs.load }} is fine"
        ),
        step("close", "notification", channel="ops-inbox", subject="Incident closed"),
        edges=[
            edge("diagnose", "too-busy"),
            edge("too-busy", "escalate", "true"),
            edge("too-busy", "all-clear", "false"),
            edge("escalate", "close"),
            edge("all-clear", "close"),
        ],
        inputs={"type": "object", "properties": {"load": {"type": "integer"}, "team": {"type": "string"}}},
    )
    return str((await create_workflow(tenant, body))["id"])


async def test_incident_remediation_escalates_when_the_diagnosis_says_so(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    workflow = await _remediation(tenant)
    execution = await execute_workflow(tenant.admin, workflow, {"load": 95, "team": "db"})
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "succeeded", done
    steps = steps_of(done)
    assert steps["too-busy"]["outputs"] == {"result": True}
    assert steps["escalate"]["status"] == "succeeded"
    assert steps["escalate"]["outputs"] == {"paged": "oncall-db"}
    assert steps["all-clear"]["status"] == "skipped"
    assert steps["close"]["status"] == "succeeded", "the join runs after a skipped branch"
    assert done["kind"] == "workflow"
    assert done["workflow_version"] == 1
    # Names, not only ids: the execution names its workflow, a runbook step links the runbook run it started.
    workflow_name = (await tenant.client.get(f"/api/workflows/{workflow}", headers=tenant.admin.headers)).json()["name"]
    assert done["name"] == workflow_name
    assert steps["all-clear"]["runbook_execution_id"] is None
    child = await tenant.client.get(
        f"/api/executions/{steps['escalate']['runbook_execution_id']}", headers=tenant.admin.headers
    )
    assert (child.json()["kind"], child.json()["outputs"]) == ("runbook", {"paged": "oncall-db"}), child.text
    listed = (await tenant.client.get("/api/executions", headers=tenant.admin.headers)).json()["items"]
    assert {(e["kind"], e["name"]) for e in listed} >= {("workflow", workflow_name), ("runbook", child.json()["name"])}
    assert child.json()["name"]


async def test_incident_remediation_notifies_when_all_is_well(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    workflow = await _remediation(tenant)
    execution = await execute_workflow(tenant.admin, workflow, {"load": 10, "team": "db"})
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "succeeded", done
    assert steps_of(done)["escalate"]["status"] == "skipped"
    assert steps_of(done)["all-clear"]["outputs"] == {"deliveries": 1}
    assert steps_of(done)["close"]["status"] == "succeeded"
    inbox = (await tenant.client.get("/api/notifications", headers=tenant.admin.headers)).json()["items"]
    assert any(item["subject"] == "Load 10 is fine" for item in inbox), inbox


async def test_inputs_are_checked_against_the_workflow_schema(tenant: TenantContext) -> None:
    workflow = await _remediation(tenant)
    response = await tenant.client.post(
        f"/api/workflows/{workflow}/execute", json={"inputs": {"load": "high"}}, headers=tenant.admin.headers
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["inputs.load"]


async def test_maintenance_window_waits_the_whole_delay_before_running(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    patch = await script_runbook(tenant, 'echo "patched=yes" > "$TP_OUTPUT"')
    await _in_app_channel(tenant)
    body = workflow_body(
        step("window", "delay", seconds=1),
        step("patch", "runbook", runbook_id=patch),
        step("report", "notification", channel="ops-inbox", subject="patched: {{ steps.patch.outputs.patched }}"),
    )
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    waiting = await wait_until(tenant.admin, execution, {"waiting"})
    assert steps_of(waiting)["window"]["status"] == "waiting"
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "succeeded", done
    window, patched = steps_of(done)["window"], steps_of(done)["patch"]
    waited = datetime.fromisoformat(window["finished_at"]) - datetime.fromisoformat(window["started_at"])
    assert waited.total_seconds() >= 1.0
    assert datetime.fromisoformat(patched["started_at"]) >= datetime.fromisoformat(window["finished_at"])


async def test_a_failure_edge_handles_a_failure_and_an_unhandled_one_fails_the_execution(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    broken = await script_runbook(tenant, "exit 3")
    cleanup = await script_runbook(tenant, 'echo "cleaned=1" > "$TP_OUTPUT"')
    handled = workflow_body(
        step("deploy", "runbook", runbook_id=broken),
        step("rollback", "runbook", runbook_id=cleanup),
        edges=[edge("deploy", "rollback", "failure")],
    )
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, handled))["id"]))
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "succeeded", done
    assert steps_of(done)["deploy"]["status"] == "failed"
    assert steps_of(done)["rollback"]["outputs"] == {"cleaned": "1"}

    unhandled = workflow_body(
        step("deploy", "runbook", runbook_id=broken), step("after", "runbook", runbook_id=cleanup)
    )
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, unhandled))["id"]))
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "failed", done
    assert steps_of(done)["after"]["status"] == "skipped"
    assert "deploy" in done["error"]


async def test_cancel_kills_the_running_script(
    tenant: TenantContext, worker: ExecutionJobRunner, client: httpx.AsyncClient
) -> None:
    slow = await script_runbook(tenant, "sleep 30")
    body = workflow_body(step("slow", "runbook", runbook_id=slow))
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    await wait_until(tenant.admin, execution, {"running"}, step="slow")
    runbook_runs = await _runbook_executions(tenant, client, {"running"})
    response = await client.post(f"/api/executions/{execution}/cancel", headers=tenant.admin.headers)
    assert response.status_code == 202, response.text
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "cancelled"
    assert steps_of(done)["slow"]["status"] == "cancelled"
    assert [r["status"] for r in await _runbook_executions(tenant, client, {"cancelled"})] == ["cancelled"]
    assert len(runbook_runs) == 1


async def _runbook_executions(
    tenant: TenantContext, client: httpx.AsyncClient, statuses: set[str]
) -> list[dict[str, str]]:
    deadline = time.monotonic() + 15
    while True:
        response = await client.get("/api/executions", params={"kind": "runbook"}, headers=tenant.admin.headers)
        items: list[dict[str, str]] = response.json()["items"]
        if items and all(item["status"] in statuses for item in items):
            return items
        assert time.monotonic() < deadline, items
        await asyncio.sleep(0.05)


async def test_retry_reruns_from_the_failed_step_and_keeps_what_succeeded(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    c, headers = tenant.client, tenant.admin.headers
    prepare = await script_runbook(tenant, 'echo "prepared=yes" > "$TP_OUTPUT"')
    flaky = await script_runbook(tenant, "exit 1")
    # `latest`: the retry runs the fixed version (a pinned step would run the version of the start again).
    apply = step("apply", "runbook", runbook_id=flaky, version="latest")
    body = workflow_body(step("prepare", "runbook", runbook_id=prepare), apply)
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    failed = await wait_until(tenant.admin, execution, FINISHED)
    assert failed["status"] == "failed"
    fixed = runbook_body(actions=[{"name": "run", "type": "shell", "script": "exit 0"}])
    assert (await c.put(f"/api/runbooks/{flaky}", json=fixed, headers=headers)).status_code == 200
    response = await c.post(f"/api/executions/{execution}/retry", headers=headers)
    assert response.status_code == 202, response.text
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "succeeded", done
    steps = steps_of(done)
    assert steps["prepare"]["attempts"] == 1
    assert steps["apply"]["attempts"] == 2
    assert (steps["prepare"]["runbook_version"], steps["apply"]["runbook_version"]) == (1, 2)
    assert steps["prepare"]["outputs"] == {"prepared": "yes"}
    prepared = (await c.get("/api/executions", params={"runbook_id": prepare}, headers=headers)).json()["items"]
    assert len(prepared) == 1
    assert (await c.post(f"/api/executions/{execution}/retry", headers=headers)).status_code == 409


async def test_a_runbook_step_retries_before_it_fails(tenant: TenantContext, worker: ExecutionJobRunner) -> None:
    broken = await script_runbook(tenant, "exit 1")
    body = workflow_body(step("flaky", "runbook", runbook_id=broken, retries={"count": 2, "backoff": 0}))
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "failed"
    assert steps_of(done)["flaky"]["attempts"] == 1
    runs = (
        await tenant.client.get("/api/executions", params={"runbook_id": broken}, headers=tenant.admin.headers)
    ).json()["items"]
    assert [r["status"] for r in runs] == ["failed"] * 3


async def test_a_runbook_step_that_outlives_its_timeout_fails_and_its_script_is_killed(
    tenant: TenantContext, worker: ExecutionJobRunner, client: httpx.AsyncClient
) -> None:
    slow = await script_runbook(tenant, "sleep 30")
    body = workflow_body(step("slow", "runbook", runbook_id=slow, timeout_seconds=1))
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "failed"
    assert "timeout_seconds" in steps_of(done)["slow"]["reason"]
    assert [r["status"] for r in await _runbook_executions(tenant, client, {"cancelled"})] == ["cancelled"]


async def test_the_events_stream_follows_steps_until_the_execution_ends(
    tenant: TenantContext, worker: ExecutionJobRunner, client: httpx.AsyncClient
) -> None:
    quick = await script_runbook(tenant, "true")
    body = workflow_body(step("pause", "delay", seconds=0.3), step("work", "runbook", runbook_id=quick))
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    response = await client.get(f"/api/executions/{execution}/events", headers=tenant.admin.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [
        (block.split("\n")[0].removeprefix("event: "), json.loads(block.split("\n")[1].removeprefix("data: ")))
        for block in response.text.strip().split("\n\n")
        if block.startswith("event: ")
    ]
    assert events[-1] == ("end", {"status": "succeeded", "error": None})
    work = [data["status"] for kind, data in events if kind == "step" and data["step_id"] == "work"]
    assert work[-1] == "succeeded"
    assert "pending" in work or "running" in work


async def test_a_delay_until_a_templated_time_is_never_early(tenant: TenantContext, worker: ExecutionJobRunner) -> None:
    body = workflow_body(step("wait", "delay", until="{{ inputs.at }}"))
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    failed = await wait_until(tenant.admin, execution, FINISHED)
    assert failed["status"] == "failed"
    assert "inputs.at" in steps_of(failed)["wait"]["reason"]

    at = datetime.now(UTC) + timedelta(seconds=1)
    execution = await execute_workflow(
        tenant.admin, str((await create_workflow(tenant, body))["id"]), {"at": at.isoformat()}
    )
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "succeeded"
    assert datetime.fromisoformat(steps_of(done)["wait"]["finished_at"]) >= at


async def test_a_redelivered_run_step_job_does_not_start_the_runbook_twice(
    tenant: TenantContext, worker: ExecutionJobRunner, client: httpx.AsyncClient
) -> None:
    slow = await script_runbook(tenant, "sleep 1")
    body = workflow_body(step("slow", "runbook", runbook_id=slow))
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    await _runbook_executions(tenant, client, {"running"})
    async with tenant.database.transaction() as session:
        await perform_step(
            session, tenant_id=uuid.UUID(tenant.id), execution_id=uuid.UUID(execution), step_id="slow", attempt=1
        )
    assert (await wait_until(tenant.admin, execution, FINISHED))["status"] == "succeeded"
    assert len(await _runbook_executions(tenant, client, {"succeeded"})) == 1
