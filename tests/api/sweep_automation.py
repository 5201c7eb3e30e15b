"""Sweep registry entries for the automation routes, and the helpers the automation tests share.

Helpers create runbooks, workflows and executions through the public API and wait for them with the worker.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx

from tests.api.conftest import Actor, TenantContext
from tests.api.sweep_runbooks import create_runbook
from tests.api.sweeps import BodyFor, Call, Factory, Ids, Setup

WORKFLOWS = "/api/workflows"
GATES = "/api/automation/approvals"


def step(step_id: str, step_type: str, **config: Any) -> dict[str, Any]:
    return {"id": step_id, "type": step_type, "name": step_id.replace("-", " "), "config": config}


def edge(source: str, target: str, condition: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"from": source, "to": target}
    if condition is not None:
        body["condition"] = condition
    return body


def workflow_body(*steps: dict[str, Any], edges: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": f"wf-{uuid.uuid4().hex[:8]}", "steps": list(steps), **extra}
    if edges is not None:
        body["edges"] = edges
    return body


async def create_workflow(t: TenantContext, body: dict[str, Any]) -> dict[str, Any]:
    response = await t.client.post(WORKFLOWS, json=body, headers=t.admin.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def script_runbook(t: TenantContext, script: str, parameters: dict[str, Any] | None = None) -> str:
    """A runbook of one shell action running `script`; returns its id."""
    extra: dict[str, Any] = {"actions": [{"name": "run", "type": "shell", "script": script}]}
    if parameters is not None:
        extra["parameters"] = parameters
    return str((await create_runbook(t, t.client, **extra))["id"])


async def execute_workflow(actor: Actor, workflow_id: str, inputs: dict[str, Any] | None = None) -> str:
    response = await actor.tenant.client.post(
        f"{WORKFLOWS}/{workflow_id}/execute", json={"inputs": inputs or {}}, headers=actor.headers
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def wait_until(
    actor: Actor, execution_id: str, statuses: set[str], timeout: float = 20, step: str | None = None
) -> dict[str, Any]:
    """Polls the execution until it (or one of its step runs, with `step`) has one of the statuses."""
    deadline = time.monotonic() + timeout
    while True:
        response = await actor.tenant.client.get(f"/api/executions/{execution_id}", headers=actor.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        status = body["status"] if step is None else steps_of(body)[step]["status"]
        if status in statuses:
            return body
        assert time.monotonic() < deadline, f"still {status} after {timeout}s: {body}"
        await asyncio.sleep(0.05)


def steps_of(execution: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["step_id"]: s for s in execution["steps"]}


async def pending_gate(actor: Actor, execution_id: str, step_id: str | None = None) -> dict[str, Any]:
    response = await actor.tenant.client.get(GATES, params={"status": "pending"}, headers=actor.tenant.admin.headers)
    assert response.status_code == 200, response.text
    found = [
        g
        for g in response.json()["items"]
        if g["execution_id"] == execution_id and (step_id is None or g["step_id"] == step_id)
    ]
    assert len(found) == 1, found
    gate: dict[str, Any] = found[0]
    return gate


async def decide(actor: Actor, gate_id: str, verdict: str = "approve", comment: str | None = None) -> httpx.Response:
    body = {"comment": comment} if comment is not None else {}
    return await actor.tenant.client.post(f"{GATES}/{gate_id}/{verdict}", json=body, headers=actor.headers)


def gate_body(**config: Any) -> dict[str, Any]:
    """A workflow that waits on one approval gate (anyone may decide) before a long delay."""
    approval = step("sign-off", "approval", approvers=[{"type": "any"}], **config)
    return workflow_body(approval, step("later", "delay", seconds=3600))


async def workflow_id(t: TenantContext, c: httpx.AsyncClient) -> str:
    return str((await create_workflow(t, workflow_body(step("pause", "delay", seconds=60))))["id"])


async def approval_id(t: TenantContext, c: httpx.AsyncClient) -> str:
    """A pending gate: starting the execution opens it in the request's transaction (no worker needed)."""
    await t.user()  # a possible approver besides the starter: a gate nobody could decide is never opened
    workflow = await create_workflow(t, gate_body())
    execution_id = await execute_workflow(t.admin, str(workflow["id"]))
    return str((await pending_gate(t.admin, execution_id))["id"])


FACTORIES: dict[str, Factory] = {"workflow_id": workflow_id, "approval_id": approval_id}
BODIES: dict[tuple[str, str], BodyFor] = {
    ("put", WORKFLOWS + "/{workflow_id}"): lambda ids: workflow_body(step("pause", "delay", seconds=5)),
    ("post", WORKFLOWS + "/{workflow_id}/execute"): lambda ids: {"inputs": {}},
    ("post", GATES + "/{approval_id}/approve"): lambda ids: {"comment": "ok"},
    ("post", GATES + "/{approval_id}/reject"): lambda ids: {"comment": "no"},
}
NOT_MUTATIONS = {("post", WORKFLOWS + "/validate"): "a dry run of the checks: stores nothing"}


async def _nothing(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {}


async def _workflow(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {"workflow": await workflow_id(t, c)}


async def _gate(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    """A pending gate and a second admin who may decide it (the first one started the execution)."""
    approver = await t.user(roles=["admin"])
    return {"gate": await approval_id(t, c), "token": approver.token}


async def _rejected_execution(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    ids = await _gate(c, t)
    response = await c.post(
        f"{GATES}/{ids['gate']}/reject", json={"comment": "no"}, headers={"Authorization": f"Bearer {ids['token']}"}
    )
    assert response.status_code == 200, response.text
    return {"execution": response.json()["execution_id"]}


def _call(method: str, path: str, body: dict[str, Any] | None = None) -> Call:
    async def call(c: httpx.AsyncClient, t: TenantContext, ids: Ids) -> httpx.Response:
        return await c.request(method, path.format(**ids), json=body, headers=t.admin.headers)

    return call


def _decide(verdict: str) -> Call:
    async def call(c: httpx.AsyncClient, t: TenantContext, ids: Ids) -> httpx.Response:
        headers = {"Authorization": f"Bearer {ids['token']}"}
        return await c.post(f"{GATES}/{ids['gate']}/{verdict}", json={"comment": "fine"}, headers=headers)

    return call


AUDIT_SCENARIOS: dict[tuple[str, str], tuple[Setup, Call]] = {
    ("post", WORKFLOWS): (_nothing, _call("POST", WORKFLOWS, workflow_body(step("pause", "delay", seconds=1)))),
    ("put", WORKFLOWS + "/{workflow_id}"): (
        _workflow,
        _call("PUT", WORKFLOWS + "/{workflow}", workflow_body(step("pause", "delay", seconds=2))),
    ),
    ("delete", WORKFLOWS + "/{workflow_id}"): (_workflow, _call("DELETE", WORKFLOWS + "/{workflow}")),
    ("post", WORKFLOWS + "/{workflow_id}/execute"): (
        _workflow,
        _call("POST", WORKFLOWS + "/{workflow}/execute", {"inputs": {}}),
    ),
    ("post", GATES + "/{approval_id}/approve"): (_gate, _decide("approve")),
    ("post", GATES + "/{approval_id}/reject"): (_gate, _decide("reject")),
    ("post", "/api/executions/{execution_id}/retry"): (
        _rejected_execution,
        _call("POST", "/api/executions/{execution}/retry"),
    ),
}
