"""Runbook fulfillment of service requests (PRODUCT.md §4): parameters rendered from the request, the request
follows the runbook's result."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import TenantContext
from tests.api.sweep_approvals import create_definition, decide, signed_in, step
from tests.api.sweep_itsm import REQUESTS, create_item, request_until, submit_request
from tests.api.sweep_runbooks import create_runbook

ACCOUNT_SCRIPT = 'echo "creating account for $TP_PARAM_USERNAME"; echo "account=acct-$TP_PARAM_USERNAME" > "$TP_OUTPUT"'
FORM = [{"name": "username", "type": "string", "required": True}]


async def test_approved_request_runs_its_runbook_and_becomes_fulfilled(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner
) -> None:
    runbook = await create_runbook(
        tenant,
        client,
        parameters={"type": "object", "properties": {"username": {"type": "string"}}, "required": ["username"]},
        actions=[{"name": "create", "type": "shell", "script": ACCOUNT_SCRIPT}],
    )
    cab = await signed_in(tenant, app, roles=["cab"])
    item = await create_item(
        tenant,
        variables=FORM,
        workflow_definition_id=(await create_definition(tenant, step("cab", 1, "role", "cab")))["id"],
        fulfillment_type="runbook",
        fulfillment_config={"runbook_id": runbook["id"], "parameters": {"username": "{{ variables.username }}"}},
    )
    requester = await tenant.user()
    submitted = await submit_request(requester, item["id"], {"username": "jdoe"})
    assert submitted["status"] == "pending_approval"
    assert (await decide(cab, submitted["approval_instance_id"])).status_code == 200
    done = await request_until(client, requester.headers, submitted["id"], {"fulfilled", "fulfillment_failed"})
    assert done["status"] == "fulfilled", done["timeline"]
    execution = (
        await client.get(f"/api/executions/{done['fulfillment_execution_id']}", headers=tenant.admin.headers)
    ).json()
    assert execution["parameters"] == {"username": "jdoe"}
    assert execution["outputs"] == {"account": "acct-jdoe"}
    kinds = [e["kind"] for e in done["timeline"]]
    assert kinds[-3:] == ["in_fulfillment", "fulfillment_started", "fulfilled"]
    assert done["timeline"][-1]["data"]["outputs"] == {"account": "acct-jdoe"}


async def test_failing_runbook_fails_the_request_with_the_reason(
    client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    runbook = await create_runbook(tenant, client, actions=[{"name": "break", "type": "shell", "script": "exit 3"}])
    item = await create_item(
        tenant, variables=[], fulfillment_type="runbook", fulfillment_config={"runbook_id": runbook["id"]}
    )
    requester = await tenant.user()
    submitted = (await client.post(REQUESTS, json={"catalog_item_id": item["id"]}, headers=requester.headers)).json()
    failed = await request_until(client, requester.headers, submitted["id"], {"fulfilled", "fulfillment_failed"})
    assert failed["status"] == "fulfillment_failed"
    assert "exit code 3" in failed["timeline"][-1]["message"]
    inbox = (await client.get("/api/notifications", headers=requester.headers)).json()["items"]
    assert any(n["subject"].endswith("fulfillment failed") for n in inbox)


async def test_a_template_error_fails_fulfillment_instead_of_the_submit(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    runbook = await create_runbook(tenant, client)
    item = await create_item(
        tenant,
        variables=[],
        fulfillment_type="runbook",
        fulfillment_config={"runbook_id": runbook["id"], "parameters": {"x": "{{ variables.nope }}"}},
    )
    response = await client.post(REQUESTS, json={"catalog_item_id": item["id"]}, headers=tenant.admin.headers)
    assert response.status_code == 201
    assert response.json()["status"] == "fulfillment_failed"
    assert "could not start" in response.json()["timeline"][-1]["message"]
