"""Where ITSM meets automation (PRODUCT.md §1, §4): the catalog refuses automation ids as approval definitions,
and `fulfillment_type: workflow` runs an automation workflow after approval (provision-after-approve)."""

from __future__ import annotations

import shutil
from typing import Any

import httpx
from fastapi import FastAPI

from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import TenantContext
from tests.api.sweep_approvals import create_definition, decide, signed_in
from tests.api.sweep_approvals import step as ladder_step
from tests.api.sweep_automation import create_workflow, script_runbook, step, workflow_body
from tests.api.sweep_itsm import CATALOG, REQUESTS, create_item, request_until, submit_request
from tests.conftest import shared_with_runbooks

FORM = [{"name": "username", "type": "string", "required": True}]


async def _provisioning_workflow(tenant: TenantContext, script: str) -> dict[str, Any]:
    runbook = await script_runbook(
        tenant, script, parameters={"type": "object", "properties": {"username": {"type": "string"}}}
    )
    body = workflow_body(
        step("provision", "runbook", runbook_id=runbook, parameters={"username": "{{ inputs.username }}"}),
        inputs={"type": "object", "properties": {"username": {"type": "string"}}, "required": ["username"]},
    )
    return await create_workflow(tenant, body)


async def test_an_automation_workflow_id_is_refused_as_approval_definition(tenant: TenantContext) -> None:
    workflow = await _provisioning_workflow(tenant, "true")
    response = await tenant.client.post(
        CATALOG, json={"name": "Mixed up", "workflow_definition_id": workflow["id"]}, headers=tenant.admin.headers
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "workflow_definition_id"
    assert f"{workflow['id']} is an automation workflow, not an approval definition" in error["message"]
    assert "fulfillment_type: workflow" in error["message"]


async def test_provision_after_approve_runs_the_workflow_and_fulfils_the_request(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner
) -> None:
    workflow = await _provisioning_workflow(tenant, 'echo "account=acct-$TP_PARAM_USERNAME" > "$TP_OUTPUT"')
    owner = await signed_in(tenant, app, roles=["app_owner"])
    ladder = await create_definition(tenant, ladder_step("app owner", 1, "role", "app_owner"))
    item = await create_item(
        tenant,
        variables=FORM,
        workflow_definition_id=ladder["id"],
        fulfillment_type="workflow",
        fulfillment_config={"workflow_id": workflow["id"], "inputs": {"username": "{{ variables.username }}"}},
    )
    requester = await tenant.user()
    submitted = await submit_request(requester, item["id"], {"username": "ada"})
    assert submitted["status"] == "pending_approval"
    assert (await decide(owner, submitted["approval_instance_id"])).status_code == 200
    done = await request_until(client, requester.headers, submitted["id"])
    assert done["status"] == "fulfilled", done["timeline"]
    execution = (
        await client.get(f"/api/executions/{done['fulfillment_execution_id']}", headers=tenant.admin.headers)
    ).json()
    assert execution["kind"] == "workflow"
    assert execution["parameters"] == {"username": "ada"}
    assert execution["steps"][0]["status"] == "succeeded"


async def test_a_failing_workflow_fails_the_request(
    client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    workflow = await _provisioning_workflow(tenant, "echo boom >&2; exit 4")
    item = await create_item(
        tenant,
        variables=FORM,
        fulfillment_type="workflow",
        fulfillment_config={"workflow_id": workflow["id"], "inputs": {"username": "{{ variables.username }}"}},
    )
    requester = await tenant.user()
    submitted = await submit_request(requester, item["id"], {"username": "bob"})
    done = await request_until(client, requester.headers, submitted["id"])
    assert done["status"] == "fulfillment_failed"
    assert done["timeline"][-1]["message"].startswith("Fulfillment failed")


async def test_retrying_the_failed_fulfillment_workflow_puts_the_request_back_in_fulfillment_then_fulfils_it(
    client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    shared = shared_with_runbooks("tp-retry-")
    flag = shared / "fixed"
    workflow = await _provisioning_workflow(tenant, f'[ -e "{flag}" ] || {{ echo "not yet" >&2; exit 3; }}')
    item = await create_item(
        tenant,
        variables=FORM,
        fulfillment_type="workflow",
        fulfillment_config={"workflow_id": workflow["id"], "inputs": {"username": "{{ variables.username }}"}},
    )
    requester = await tenant.user()
    submitted = await submit_request(requester, item["id"], {"username": "eve"})
    failed = await request_until(client, requester.headers, submitted["id"])
    assert failed["status"] == "fulfillment_failed"
    assert failed["closed_at"] is not None
    flag.touch()  # the SRE fixes what was broken, then retries the execution from its failed step
    retried = await client.post(
        f"/api/executions/{failed['fulfillment_execution_id']}/retry", headers=tenant.admin.headers
    )
    assert retried.status_code == 202, retried.text
    reopened = (await client.get(f"{REQUESTS}/{submitted['id']}", headers=requester.headers)).json()
    assert reopened["status"] in {"in_fulfillment", "fulfilled"}, reopened
    done = await request_until(client, requester.headers, submitted["id"])
    assert done["status"] == "fulfilled", done["timeline"]
    messages = [event["message"] for event in done["timeline"]]
    assert messages.index("Fulfillment retried") < messages.index("Fulfilled by automation")
    shutil.rmtree(shared)
