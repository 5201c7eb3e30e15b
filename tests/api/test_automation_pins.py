"""Pinned runbooks: a workflow's runbook steps run the version of the execution's start, or what a gate showed.

A real worker runs real scripts whose output differs between runbook versions, so each test sees what ran.
"""

from __future__ import annotations

from typing import Any

from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import TenantContext
from tests.api.sweep_automation import (
    GATES,
    WORKFLOWS,
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
from tests.api.sweep_runbooks import runbook_body
from tests.conftest import shared_with_runbooks

FINISHED = {"succeeded", "failed", "rejected", "cancelled"}
ANY_PARAMETERS = {"type": "object"}


def _marker(version: str, script: str = "") -> str:
    """A script writing `marker=<version>-<table>-<seen>`, after `script` (which may fail the run)."""
    return f'{script}echo "marker={version}-$TP_PARAM_TABLE-$TP_PARAM_SEEN" > "$TP_OUTPUT"'


async def _edit(tenant: TenantContext, runbook_id: str, script: str) -> int:
    """PUT the runbook with a new script: a new version, which becomes the current one."""
    body = runbook_body(parameters=ANY_PARAMETERS, actions=[{"name": "run", "type": "shell", "script": script}])
    answer = await tenant.client.put(f"/api/runbooks/{runbook_id}", json=body, headers=tenant.admin.headers)
    assert answer.status_code == 200, answer.text
    version: int = answer.json()["version"]
    return version


async def _child(tenant: TenantContext, step_run: dict[str, Any]) -> dict[str, Any]:
    """The runbook execution a workflow step started (its latest run)."""
    answer = await tenant.client.get(
        f"/api/executions/{step_run['runbook_execution_id']}", headers=tenant.admin.headers
    )
    assert answer.status_code == 200, answer.text
    child: dict[str, Any] = answer.json()
    return child


async def _gated(tenant: TenantContext, runbook_id: str, **drop: Any) -> str:
    """start → side (a quick runbook) and start → approve-drop (role dba) → drop (the runbook under test).

    `drop`'s parameter `seen` is the side step's status: `running` when the gate opens, `succeeded` later, so a
    re-render after the approval would show.
    """
    side = await script_runbook(tenant, 'echo "side=done" > "$TP_OUTPUT"')
    parameters = {"table": "{{ inputs.table }}", "seen": "{{ steps.side.status }}"}
    body = workflow_body(
        step("start", "delay", seconds=0),
        step("side", "runbook", runbook_id=side),
        step("approve-drop", "approval", approvers=[{"type": "role", "value": "dba"}], message="Drop?"),
        step("drop", "runbook", runbook_id=runbook_id, parameters=parameters, **drop),
        edges=[edge("start", "side"), edge("start", "approve-drop"), edge("approve-drop", "drop")],
    )
    return str((await create_workflow(tenant, body))["id"])


async def test_a_runbook_edited_while_its_gate_waits_runs_the_version_and_parameters_the_approvers_saw(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    dba = await tenant.user(roles=["dba"])
    destroy = await script_runbook(tenant, _marker("old"), ANY_PARAMETERS)
    execution = await execute_workflow(tenant.admin, await _gated(tenant, destroy), {"table": "orders"})
    await wait_until(tenant.admin, execution, {"waiting"}, step="approve-drop")
    gate = await pending_gate(tenant.admin, execution)
    [shown] = gate["subject"]["next_steps"]
    assert (shown["runbook_id"], shown["runbook_version"]) == (destroy, 1)
    assert shown["parameters"] == {"table": "orders", "seen": "running"}
    waiting = await wait_until(tenant.admin, execution, {"succeeded"}, step="side")
    assert steps_of(waiting)["drop"]["runbook_version"] == 1  # pinned when the execution started
    notices = (await tenant.client.get("/api/notifications", headers=dba.headers)).json()["items"]
    assert f"runs runbook {shown['runbook']} v1 with" in notices[0]["body"]

    assert await _edit(tenant, destroy, _marker("new")) == 2  # saved while the gate waits
    assert (await decide(dba, gate["id"], "approve", "go")).status_code == 200
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "succeeded", done
    dropped = steps_of(done)["drop"]
    assert dropped["outputs"] == {"marker": "old-orders-running"}  # v1's script, the parameters shown
    assert dropped["runbook_version"] == 1
    child = await _child(tenant, dropped)
    assert (child["runbook_id"], child["runbook_version"], child["parameters"]["seen"]) == (destroy, 1, "running")
    decided = (await tenant.client.get(f"{GATES}/{gate['id']}", headers=tenant.admin.headers)).json()
    assert decided["subject"]["next_steps"][0]["runbook_version"] == 1
    listed = await tenant.client.get("/api/executions", params={"runbook_id": destroy}, headers=tenant.admin.headers)
    assert [e["runbook_version"] for e in listed.json()["items"]] == [1]


async def test_a_retried_execution_reruns_the_approved_version_and_parameters(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    dba = await tenant.user(roles=["dba"])
    shared = shared_with_runbooks("pins-")
    destroy = await script_runbook(tenant, _marker("old", f"test -f {shared}/ready || exit 3\n"), ANY_PARAMETERS)
    execution = await execute_workflow(tenant.admin, await _gated(tenant, destroy), {"table": "orders"})
    await wait_until(tenant.admin, execution, {"succeeded"}, step="side")
    gate = await pending_gate(tenant.admin, execution)
    assert (await decide(dba, gate["id"], "approve", "go")).status_code == 200
    assert (await wait_until(tenant.admin, execution, FINISHED))["status"] == "failed"

    await _edit(tenant, destroy, _marker("new"))
    (shared / "ready").write_text("")
    retried = await tenant.client.post(f"/api/executions/{execution}/retry", headers=tenant.admin.headers)
    assert retried.status_code == 202, retried.text
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "succeeded", done
    dropped = steps_of(done)["drop"]
    assert (dropped["attempts"], dropped["runbook_version"]) == (2, 1)
    assert dropped["outputs"] == {"marker": "old-orders-running"}  # not v2, and not re-rendered ("succeeded")


async def test_a_runbook_step_runs_the_version_current_when_the_execution_started(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    runbook = await script_runbook(tenant, _marker("old"), ANY_PARAMETERS)
    body = workflow_body(
        step("pause", "delay", seconds=1), step("run", "runbook", runbook_id=runbook, parameters={"table": "t"})
    )
    workflow = str((await create_workflow(tenant, body))["id"])
    execution = await execute_workflow(tenant.admin, workflow)
    await _edit(tenant, runbook, _marker("new"))  # saved while the execution waits in its delay
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "succeeded", done
    assert steps_of(done)["run"]["outputs"] == {"marker": "old-t-"}
    assert steps_of(done)["run"]["runbook_version"] == 1
    assert (await _child(tenant, steps_of(done)["run"]))["runbook_version"] == 1
    listed = await tenant.client.get("/api/executions", params={"workflow_id": workflow}, headers=tenant.admin.headers)
    assert [(e["id"], e["workflow_version"]) for e in listed.json()["items"]] == [(execution, 1)]


async def test_a_latest_step_with_no_gate_before_it_runs_the_newest_version(
    tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    runbook = await script_runbook(tenant, _marker("old"), ANY_PARAMETERS)
    latest = step("run", "runbook", runbook_id=runbook, parameters={"table": "t"}, version="latest")
    body = workflow_body(step("pause", "delay", seconds=1), latest)
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    started = await tenant.client.get(f"/api/executions/{execution}", headers=tenant.admin.headers)
    assert steps_of(started.json())["run"]["runbook_version"] is None  # resolved when the step starts
    await _edit(tenant, runbook, _marker("new"))
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert done["status"] == "succeeded", done
    assert steps_of(done)["run"]["outputs"] == {"marker": "new-t-"}
    assert steps_of(done)["run"]["runbook_version"] == 2
    assert (await _child(tenant, steps_of(done)["run"]))["runbook_version"] == 2


async def test_a_step_naming_a_version_runs_that_version(tenant: TenantContext, worker: ExecutionJobRunner) -> None:
    runbook = await script_runbook(tenant, _marker("old"), ANY_PARAMETERS)
    await _edit(tenant, runbook, _marker("new"))
    body = workflow_body(step("run", "runbook", runbook_id=runbook, parameters={"table": "t"}, version=1))
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    done = await wait_until(tenant.admin, execution, FINISHED)
    assert (done["status"], steps_of(done)["run"]["outputs"]) == ("succeeded", {"marker": "old-t-"})
    assert steps_of(done)["run"]["runbook_version"] == 1


async def _problems(tenant: TenantContext, body: dict[str, Any]) -> list[dict[str, str]]:
    answer = await tenant.client.post(WORKFLOWS, json=body, headers=tenant.admin.headers)
    assert answer.status_code == 422, answer.text
    errors: list[dict[str, str]] = answer.json()["errors"]
    return errors


async def test_latest_is_refused_behind_an_approval_step_on_any_path(tenant: TenantContext) -> None:
    runbook = await script_runbook(tenant, "true")
    anyone = [{"type": "any"}]
    in_order = workflow_body(
        step("ok", "approval", approvers=anyone), step("run", "runbook", runbook_id=runbook, version="latest")
    )
    [problem] = await _problems(tenant, in_order)
    assert problem["field"] == "steps[1].config.version"
    assert "approval step" in problem["message"]
    # Behind the gate through a delay, on one branch of two: still refused (the other path has no gate).
    branches = workflow_body(
        step("ok", "approval", approvers=anyone),
        step("wait", "delay", seconds=1),
        step("run", "runbook", runbook_id=runbook, version="latest"),
        step("first", "delay", seconds=0),
        edges=[edge("first", "ok"), edge("ok", "wait"), edge("wait", "run"), edge("first", "run", "always")],
    )
    assert [p["field"] for p in await _problems(tenant, branches)] == ["steps[2].config.version"]
    # A pinned step behind the gate, and `latest` beside it on a branch with no gate, are fine.
    beside = workflow_body(
        step("first", "delay", seconds=0),
        step("ok", "approval", approvers=anyone),
        step("pinned", "runbook", runbook_id=runbook, version=1),
        step("free", "runbook", runbook_id=runbook, version="latest"),
        edges=[edge("first", "ok"), edge("ok", "pinned"), edge("first", "free")],
    )
    assert (await tenant.client.post(WORKFLOWS, json=beside, headers=tenant.admin.headers)).status_code == 201


async def test_a_step_version_must_be_a_saved_version_or_latest(tenant: TenantContext) -> None:
    runbook = await script_runbook(tenant, "true")
    for version, message in [(2, "no version 2"), ("newest", "whole number"), (True, "whole number"), (0, "whole")]:
        body = workflow_body(step("run", "runbook", runbook_id=runbook, version=version))
        [problem] = await _problems(tenant, body)
        assert problem["field"] == "steps[0].config.version"
        assert message in problem["message"], problem
