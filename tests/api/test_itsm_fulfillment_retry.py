"""Retrying a failed fulfillment (issue 11, item 7): a fulfiller or service owner reruns the pinned runbook (or
resumes the workflow) with the pinned parameters, the timeline says who and which run, the request follows it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import TenantContext
from tests.api.sweep_approvals import signed_in
from tests.api.sweep_automation import create_workflow, script_runbook, step, workflow_body
from tests.api.sweep_itsm import REQUESTS, create_item, request_until
from tests.api.sweep_runbooks import create_runbook, runbook_body
from tests.conftest import shared_with_runbooks

FORM = [{"name": "username", "type": "string", "required": True}]
SCHEMA = {"type": "object", "properties": {"username": {"type": "string"}}, "required": ["username"]}


def _fails_until(flag: Path, marker: str) -> str:
    """A script that fails until the test creates `flag`, then reports who made the account."""
    check = f'[ -e "{flag}" ] || {{ echo "{flag} missing" >&2; exit 3; }}'
    return f'{check}; echo "made_by={marker}-$TP_PARAM_USERNAME" > "$TP_OUTPUT"'


ENDED = frozenset({"fulfilled", "fulfillment_failed"})


async def _submit(client: httpx.AsyncClient, item_id: str, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.post(
        REQUESTS, json={"catalog_item_id": item_id, "variables": {"username": "ann"}}, headers=headers
    )
    assert response.status_code == 201, response.text
    submitted: dict[str, Any] = response.json()
    return submitted


def _retry(client: httpx.AsyncClient, request_id: str, headers: dict[str, str]) -> Any:
    return client.post(f"{REQUESTS}/{request_id}/retry-fulfillment", headers=headers)


async def test_retrying_a_failed_runbook_fulfillment_reruns_the_pinned_version_and_fulfils_the_request(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner
) -> None:
    shared = shared_with_runbooks("tp-rb-retry-")
    flag = shared / "fixed"
    runbook = await create_runbook(
        tenant,
        client,
        parameters=SCHEMA,
        actions=[{"name": "create", "type": "shell", "script": _fails_until(flag, "v1")}],
    )
    item = await create_item(
        tenant,
        variables=FORM,
        fulfillment_type="runbook",
        fulfillment_config={"runbook_id": runbook["id"], "parameters": {"username": "{{ variables.username }}"}},
    )
    requester = await tenant.user()
    submitted = await _submit(client, item["id"], requester.headers)
    failed = await request_until(client, requester.headers, submitted["id"], ENDED)
    assert failed["status"] == "fulfillment_failed", failed["timeline"]
    first_run = failed["fulfillment_execution_id"]

    refused = await _retry(client, submitted["id"], requester.headers)
    assert refused.status_code == 403, refused.text
    assert (await client.get(f"{REQUESTS}/{submitted['id']}", headers=requester.headers)).json()["status"] == (
        "fulfillment_failed"
    )

    flag.touch()  # the fulfiller fixes what was missing; meanwhile someone saves a new version
    edited = await client.put(
        f"/api/runbooks/{runbook['id']}",
        json=runbook_body(
            name=runbook["name"], parameters=SCHEMA, actions=[{"name": "x", "type": "shell", "script": "exit 7"}]
        ),
        headers=tenant.admin.headers,
    )
    assert edited.status_code == 200, edited.text
    fulfiller = await signed_in(tenant, app, roles=["fulfiller"])
    retried = await _retry(client, submitted["id"], fulfiller.headers)
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] in {"in_fulfillment", "fulfilled"}
    second_run = retried.json()["fulfillment_execution_id"]
    assert second_run != first_run

    done = await request_until(client, requester.headers, submitted["id"], ENDED)
    assert done["status"] == "fulfilled", done["timeline"]
    assert done["fulfillment"]["runs"] == 2
    execution = (await client.get(f"/api/executions/{second_run}", headers=tenant.admin.headers)).json()
    assert execution["runbook_version"] == 1
    assert execution["parameters"] == {"username": "ann"}
    assert execution["outputs"] == {"made_by": "v1-ann"}

    timeline = done["timeline"]
    started = [e["data"]["execution_id"] for e in timeline if e["kind"] == "fulfillment_started"]
    assert started == [first_run, second_run]
    [retry] = [e for e in timeline if e["message"].startswith("Fulfillment retried by")]
    assert retry["message"] == f"Fulfillment retried by {done['people'][fulfiller.id]} (run 2)"
    assert retry["actor_id"] == fulfiller.id
    kinds = [e["kind"] for e in timeline]
    assert kinds.index("fulfillment_failed") < timeline.index(retry) < kinds.index("fulfilled")
    audit = (
        await client.get("/api/audit", params={"action": "runbook.executed"}, headers=tenant.admin.headers)
    ).json()["items"]
    [event] = [e for e in audit if e["object_id"] == second_run]
    assert event["actor_id"] == fulfiller.id
    assert event["summary"]["origin"] == f"service_request:{submitted['id']}"
    shutil.rmtree(shared)


async def test_retrying_a_failed_workflow_fulfillment_resumes_its_execution_from_the_failed_step(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner
) -> None:
    shared = shared_with_runbooks("tp-wf-retry-")
    flag = shared / "fixed"
    runbook = await script_runbook(tenant, _fails_until(flag, "wf"), parameters=SCHEMA)
    workflow = await create_workflow(
        tenant,
        workflow_body(
            step("provision", "runbook", runbook_id=runbook, parameters={"username": "{{ inputs.username }}"}),
            inputs=SCHEMA,
        ),
    )
    item = await create_item(
        tenant,
        variables=FORM,
        fulfillment_type="workflow",
        fulfillment_config={"workflow_id": workflow["id"], "inputs": {"username": "{{ variables.username }}"}},
    )
    requester = await tenant.user()
    submitted = await _submit(client, item["id"], requester.headers)
    failed = await request_until(client, requester.headers, submitted["id"], ENDED)
    assert failed["status"] == "fulfillment_failed", failed["timeline"]

    flag.touch()
    owner = await signed_in(tenant, app, roles=["service_owner"])
    retried = await _retry(client, submitted["id"], owner.headers)
    assert retried.status_code == 200, retried.text
    assert retried.json()["fulfillment_execution_id"] == failed["fulfillment_execution_id"]
    done = await request_until(client, requester.headers, submitted["id"], ENDED)
    assert done["status"] == "fulfilled", done["timeline"]
    assert any(e["message"].endswith("(run 2)") for e in done["timeline"])
    execution = (
        await client.get(f"/api/executions/{done['fulfillment_execution_id']}", headers=tenant.admin.headers)
    ).json()
    assert execution["status"] == "succeeded"
    assert execution["steps"][0]["attempts"] == 2, execution["steps"]
    shutil.rmtree(shared)


async def test_retry_is_refused_with_409_unless_the_runbook_or_workflow_fulfillment_failed(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    fulfiller = await signed_in(tenant, app, roles=["fulfiller"])
    manual = await create_item(tenant, variables=FORM)
    waiting = await _submit(client, manual["id"], tenant.admin.headers)
    assert waiting["status"] == "in_fulfillment"
    not_failed = await _retry(client, waiting["id"], fulfiller.headers)
    assert not_failed.status_code == 409, not_failed.text
    assert "in_fulfillment" in not_failed.json()["detail"]

    failed_by_hand = await client.post(
        f"{REQUESTS}/{waiting['id']}/fulfill",
        json={"outcome": "fulfillment_failed", "comment": "no stock"},
        headers=fulfiller.headers,
    )
    assert failed_by_hand.status_code == 200, failed_by_hand.text
    by_hand = await _retry(client, waiting["id"], fulfiller.headers)
    assert by_hand.status_code == 409, by_hand.text
    assert "by hand" in by_hand.json()["detail"]


async def test_a_retry_that_cannot_start_changes_nothing(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    runbook = await create_runbook(tenant, client, parameters=SCHEMA)
    item = await create_item(
        tenant,
        variables=FORM,
        fulfillment_type="runbook",
        fulfillment_config={"runbook_id": runbook["id"], "parameters": {"username": "{{ variables.nope }}"}},
    )
    submitted = await _submit(client, item["id"], tenant.admin.headers)
    assert submitted["status"] == "fulfillment_failed"
    assert "could not start" in submitted["timeline"][-1]["message"]
    assert submitted["fulfillment"]["error"]

    fulfiller = await signed_in(tenant, app, roles=["fulfiller"])
    refused = await _retry(client, submitted["id"], fulfiller.headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"].startswith("The fulfillment cannot be retried:")
    after = (await client.get(f"{REQUESTS}/{submitted['id']}", headers=tenant.admin.headers)).json()
    assert after["status"] == "fulfillment_failed"
    assert after["timeline"] == submitted["timeline"]
