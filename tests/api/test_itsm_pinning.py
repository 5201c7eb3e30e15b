"""Service requests pin their fulfillment at submit (issue 11, item 1): the approvers see the runbook or workflow,
its version and the rendered parameters, and after approval exactly that version runs with exactly those."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import TenantContext
from tests.api.sweep_approvals import create_definition, decide, signed_in, step
from tests.api.sweep_automation import create_workflow, script_runbook, workflow_body
from tests.api.sweep_automation import step as workflow_step
from tests.api.sweep_itsm import REQUESTS, create_item, request_until, submit_request
from tests.api.sweep_runbooks import create_runbook, runbook_body

FORM = [{"name": "username", "type": "string", "required": True}]
SCHEMA = {
    "type": "object",
    "properties": {"username": {"type": "string"}, "shell": {"type": "string", "default": "/bin/bash"}},
    "required": ["username"],
}


def _marker_script(marker: str) -> str:
    return f'echo "{marker} for $TP_PARAM_USERNAME"; echo "made_by={marker}" > "$TP_OUTPUT"'


async def _runbook_item(tenant: TenantContext, client: httpx.AsyncClient, ladder: str | None) -> tuple[str, str]:
    runbook = await create_runbook(
        tenant, client, parameters=SCHEMA, actions=[{"name": "create", "type": "shell", "script": _marker_script("v1")}]
    )
    item = await create_item(
        tenant,
        variables=FORM,
        workflow_definition_id=ladder,
        fulfillment_type="runbook",
        fulfillment_config={"runbook_id": runbook["id"], "parameters": {"username": "{{ variables.username }}"}},
    )
    return str(runbook["id"]), str(item["id"])


async def test_the_runbook_version_pinned_at_submit_runs_after_approval_even_if_edited_meanwhile(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner
) -> None:
    cab = await signed_in(tenant, app, roles=["cab"])
    ladder = (await create_definition(tenant, step("cab", 1, "role", "cab")))["id"]
    runbook_id, item_id = await _runbook_item(tenant, client, ladder)
    requester = await tenant.user()
    submitted = await submit_request(requester, item_id, {"username": "jdoe"})
    assert submitted["status"] == "pending_approval"

    edited = await client.put(
        f"/api/runbooks/{runbook_id}",
        json=runbook_body(
            name="edited", parameters=SCHEMA, actions=[{"name": "create", "type": "shell", "script": "exit 9"}]
        ),
        headers=tenant.admin.headers,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["version"] == 2

    assert (await decide(cab, submitted["approval_instance_id"])).status_code == 200
    done = await request_until(client, requester.headers, submitted["id"])
    assert done["status"] == "fulfilled", done["timeline"]
    execution = (
        await client.get(f"/api/executions/{done['fulfillment_execution_id']}", headers=tenant.admin.headers)
    ).json()
    assert execution["runbook_version"] == 1
    assert execution["parameters"] == {"username": "jdoe", "shell": "/bin/bash"}
    assert execution["outputs"] == {"made_by": "v1"}
    assert "v1 for jdoe" in execution["steps"][0]["log"]
    assert any(e["kind"] == "fulfillment_started" and "v1 started" in e["message"] for e in done["timeline"])


async def test_approvers_see_the_pinned_runbook_name_version_and_parameters_before_deciding(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    cab = await signed_in(tenant, app, roles=["cab"])
    ladder = (await create_definition(tenant, step("cab", 1, "role", "cab")))["id"]
    runbook_id, item_id = await _runbook_item(tenant, client, ladder)
    runbook_name = (await client.get(f"/api/runbooks/{runbook_id}", headers=tenant.admin.headers)).json()["name"]
    requester = await tenant.user()
    submitted = await submit_request(requester, item_id, {"username": "ada"})
    expected = {
        "type": "runbook",
        "runbook": {"id": runbook_id, "name": runbook_name, "version": 1},
        "workflow": None,
        "parameters": {"username": "ada", "shell": "/bin/bash"},
        "error": None,
        "runs": 0,
    }
    assert submitted["fulfillment"] == expected
    # An edit after the submit changes nothing the approver is shown.
    await client.put(
        f"/api/runbooks/{runbook_id}",
        json=runbook_body(name="renamed", parameters=SCHEMA),
        headers=tenant.admin.headers,
    )

    inbox = (await client.get("/api/approvals/inbox", headers=cab.headers)).json()["items"]
    [item] = [i for i in inbox if i["id"] == submitted["approval_instance_id"]]
    assert item["what"]["fulfillment"] == expected
    instance = (
        await client.get(f"/api/workflows/instances/{submitted['approval_instance_id']}", headers=cab.headers)
    ).json()
    assert instance["can_decide"] == ["cab"]
    assert instance["fulfillment"] == expected
    listed = await client.get(
        "/api/workflows/instances", params={"status": "pending", "approver": "me"}, headers=cab.headers
    )
    assert [i["fulfillment"] for i in listed.json()["items"]] == [expected]
    as_approver = (await client.get(f"{REQUESTS}/{submitted['id']}", headers=cab.headers)).json()
    assert as_approver["fulfillment"] == expected


async def test_a_workflow_fulfillment_runs_the_pinned_workflow_version_with_the_pinned_inputs(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner
) -> None:
    inputs = {"type": "object", "properties": {"username": {"type": "string"}}, "required": ["username"]}
    v1 = await script_runbook(tenant, _marker_script("wf-v1"), parameters=inputs)
    workflow = await create_workflow(
        tenant,
        workflow_body(
            workflow_step("provision", "runbook", runbook_id=v1, parameters={"username": "{{ inputs.username }}"}),
            inputs=inputs,
        ),
    )
    owner = await signed_in(tenant, app, roles=["app_owner"])
    ladder = (await create_definition(tenant, step("owner", 1, "role", "app_owner")))["id"]
    item = await create_item(
        tenant,
        variables=FORM,
        workflow_definition_id=ladder,
        fulfillment_type="workflow",
        fulfillment_config={"workflow_id": workflow["id"], "inputs": {"username": "{{ variables.username }}"}},
    )
    requester = await tenant.user()
    submitted = await submit_request(requester, item["id"], {"username": "eve"})
    assert submitted["fulfillment"]["workflow"] == {"id": workflow["id"], "name": workflow["name"], "version": 1}
    assert submitted["fulfillment"]["parameters"] == {"username": "eve"}

    v2 = await script_runbook(tenant, "exit 5", parameters=inputs)
    body = workflow_body(
        workflow_step("provision", "runbook", runbook_id=v2, parameters={"username": "{{ inputs.username }}"}),
        inputs=inputs,
    )
    saved = await client.put(f"/api/workflows/{workflow['id']}", json=body, headers=tenant.admin.headers)
    assert saved.status_code == 200, saved.text

    assert (await decide(owner, submitted["approval_instance_id"])).status_code == 200
    done = await request_until(client, requester.headers, submitted["id"])
    assert done["status"] == "fulfilled", done["timeline"]
    execution = (
        await client.get(f"/api/executions/{done['fulfillment_execution_id']}", headers=tenant.admin.headers)
    ).json()
    assert execution["workflow_version"] == 1
    assert execution["parameters"] == {"username": "eve"}


async def test_a_pinned_runbook_archived_before_approval_fails_the_request_with_the_reason(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    cab = await signed_in(tenant, app, roles=["cab"])
    ladder = (await create_definition(tenant, step("cab", 1, "role", "cab")))["id"]
    runbook_id, item_id = await _runbook_item(tenant, client, ladder)
    requester = await tenant.user()
    submitted = await submit_request(requester, item_id, {"username": "bo"})
    # `force` is for a refusal of archiving what catalog items use; without that refusal it is ignored.
    archived = await client.delete(f"/api/runbooks/{runbook_id}?force=true", headers=tenant.admin.headers)
    assert archived.status_code == 204, archived.text

    assert (await decide(cab, submitted["approval_instance_id"])).status_code == 200
    failed = (await client.get(f"{REQUESTS}/{submitted['id']}", headers=requester.headers)).json()
    assert failed["status"] == "fulfillment_failed"
    assert failed["fulfillment_execution_id"] is None
    message = failed["timeline"][-1]["message"]
    assert "The fulfillment runbook could not start" in message
    assert "archived" in message


async def test_a_manual_item_pins_manual_even_if_it_becomes_automated_before_approval(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    cab = await signed_in(tenant, app, roles=["cab"])
    ladder = (await create_definition(tenant, step("cab", 1, "role", "cab")))["id"]
    item = await create_item(tenant, variables=FORM, workflow_definition_id=ladder)
    requester = await tenant.user()
    submitted = await submit_request(requester, item["id"], {"username": "cy"})
    assert submitted["fulfillment"]["type"] == "manual"
    runbook = await create_runbook(tenant, client)
    changed = await client.put(
        f"/api/itsm/catalog/{item['id']}",
        json={
            "name": item["name"],
            "variables": FORM,
            "workflow_definition_id": ladder,
            "fulfillment_type": "runbook",
            "fulfillment_config": {"runbook_id": runbook["id"]},
        },
        headers=tenant.admin.headers,
    )
    assert changed.status_code == 200, changed.text

    assert (await decide(cab, submitted["approval_instance_id"])).status_code == 200
    waiting = (await client.get(f"{REQUESTS}/{submitted['id']}", headers=requester.headers)).json()
    assert waiting["status"] == "in_fulfillment"
    assert waiting["fulfillment_execution_id"] is None
    assert waiting["timeline"][-1]["kind"] == "awaiting_fulfiller"
