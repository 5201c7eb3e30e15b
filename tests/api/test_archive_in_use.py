"""Archiving what live objects still use (issue 11 item 5): a 409 listing them, or `?force=true` with an audit trail.

Approval definitions are used by active catalog items and the tenant's change defaults; runbooks by active catalog
items (runbook fulfillment) and the current version of live workflows (runbook steps); automation workflows by
active catalog items (workflow fulfillment).
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.conftest import TenantContext
from tests.api.sweep_approvals import DEFINITIONS, create_definition, step
from tests.api.sweep_automation import WORKFLOWS, create_workflow, workflow_body
from tests.api.sweep_automation import step as workflow_step
from tests.api.sweep_itsm import CATALOG, REQUESTS, create_item
from tests.api.sweep_runbooks import create_runbook

RUNBOOKS = "/api/runbooks"


async def archived_event(t: TenantContext, action: str, object_id: str) -> dict[str, Any]:
    response = await t.client.get(
        "/api/audit", params={"action": action, "object_id": object_id}, headers=t.admin.headers
    )
    [event] = response.json()["items"]
    found: dict[str, Any] = event
    return found


def runbook_workflow(runbook_id: str, name: str) -> dict[str, Any]:
    return workflow_body(workflow_step("run", "runbook", runbook_id=runbook_id), name=name)


async def test_archiving_a_definition_in_use_is_refused_listing_the_users_and_changes_nothing(
    tenant: TenantContext,
) -> None:
    ladder = await create_definition(tenant, step("anyone", 1, "any"), name="Manager approval")
    item = await create_item(tenant, name="Laptop", workflow_definition_id=ladder["id"], variables=[])
    retired = await create_item(tenant, name="Old laptop", workflow_definition_id=ladder["id"], variables=[])
    await tenant.client.delete(f"{CATALOG}/{retired['id']}", headers=tenant.admin.headers)
    patched = await tenant.client.patch(
        "/api/tenant", json={"change_definitions": {"emergency": ladder["id"]}}, headers=tenant.admin.headers
    )
    assert patched.status_code == 200, patched.text

    refused = await tenant.client.delete(f"{DEFINITIONS}/{ladder['id']}", headers=tenant.admin.headers)

    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["type"].endswith("/in-use")
    assert problem["used_by"] == [
        {"type": "catalog_item", "id": item["id"], "name": "Laptop"},
        {
            "type": "tenant_setting",
            "id": "change_definitions.emergency",
            "name": "default definition of emergency changes",
        },
    ], "only active items count: the retired one cannot be requested"
    assert "catalog item 'Laptop'" in problem["detail"]
    assert "?force=true" in problem["detail"]
    read = await tenant.client.get(f"{DEFINITIONS}/{ladder['id']}", headers=tenant.admin.headers)
    assert read.json()["status"] == "active"
    submitted = await tenant.client.post(
        REQUESTS, json={"catalog_item_id": item["id"], "variables": {}}, headers=tenant.admin.headers
    )
    assert (submitted.status_code, submitted.json()["status"]) == (201, "pending_approval")
    audit = await tenant.client.get(
        "/api/audit", params={"action": "approval_definition.archived"}, headers=tenant.admin.headers
    )
    assert audit.json()["items"] == []


async def test_force_archives_a_definition_in_use_and_the_audit_event_lists_its_users(tenant: TenantContext) -> None:
    ladder = await create_definition(tenant, step("anyone", 1, "any"), name="Manager approval")
    item = await create_item(tenant, name="Laptop", workflow_definition_id=ladder["id"], variables=[])

    forced = await tenant.client.delete(
        f"{DEFINITIONS}/{ladder['id']}", params={"force": "true"}, headers=tenant.admin.headers
    )

    assert forced.status_code == 204, forced.text
    read = await tenant.client.get(f"{DEFINITIONS}/{ladder['id']}", headers=tenant.admin.headers)
    assert read.json()["status"] == "archived"
    event = await archived_event(tenant, "approval_definition.archived", ladder["id"])
    assert event["summary"]["forced"] is True
    assert event["summary"]["used_by"] == [{"type": "catalog_item", "id": item["id"], "name": "Laptop"}]


async def test_archiving_an_unused_definition_needs_no_force(tenant: TenantContext) -> None:
    ladder = await create_definition(tenant, step("anyone", 1, "any"))

    archived = await tenant.client.delete(f"{DEFINITIONS}/{ladder['id']}", headers=tenant.admin.headers)

    assert archived.status_code == 204
    event = await archived_event(tenant, "approval_definition.archived", ladder["id"])
    assert "used_by" not in event["summary"]


async def test_archiving_a_runbook_used_by_a_workflow_step_and_a_catalog_item_is_refused(
    tenant: TenantContext,
) -> None:
    runbook = await create_runbook(tenant, tenant.client, name="restart-service")
    workflow = await create_workflow(tenant, runbook_workflow(runbook["id"].upper(), "Restart"))
    item = await create_item(
        tenant,
        name="Restart my service",
        variables=[],
        fulfillment_type="runbook",
        fulfillment_config={"runbook_id": runbook["id"]},
    )

    refused = await tenant.client.delete(f"{RUNBOOKS}/{runbook['id']}", headers=tenant.admin.headers)

    assert refused.status_code == 409, refused.text
    assert refused.json()["used_by"] == [
        {"type": "catalog_item", "id": item["id"], "name": "Restart my service"},
        {"type": "workflow", "id": workflow["id"], "name": "Restart"},
    ]
    listed = await tenant.client.get(RUNBOOKS, headers=tenant.admin.headers)
    assert runbook["id"] in [r["id"] for r in listed.json()["items"]], "still active"
    runs = await tenant.client.post(
        f"{WORKFLOWS}/{workflow['id']}/execute", json={"inputs": {}}, headers=tenant.admin.headers
    )
    assert runs.status_code == 202, "the workflow can still start"

    forced = await tenant.client.delete(
        f"{RUNBOOKS}/{runbook['id']}", params={"force": "true"}, headers=tenant.admin.headers
    )

    assert forced.status_code == 204, forced.text
    event = await archived_event(tenant, "runbook.archived", runbook["id"])
    assert event["summary"]["forced"] is True
    assert [use["type"] for use in event["summary"]["used_by"]] == ["catalog_item", "workflow"]


async def test_only_the_current_version_of_a_live_workflow_uses_a_runbook(tenant: TenantContext) -> None:
    runbook = await create_runbook(tenant, tenant.client)
    other = await create_runbook(tenant, tenant.client)
    moved_on = await create_workflow(tenant, runbook_workflow(runbook["id"], "Moved on"))
    saved = await tenant.client.put(
        f"{WORKFLOWS}/{moved_on['id']}", json=runbook_workflow(other["id"], "Moved on"), headers=tenant.admin.headers
    )
    assert saved.status_code == 200, saved.text
    retired = await create_workflow(tenant, runbook_workflow(runbook["id"], "Retired"))
    assert (await tenant.client.delete(f"{WORKFLOWS}/{retired['id']}", headers=tenant.admin.headers)).status_code == 204

    archived = await tenant.client.delete(f"{RUNBOOKS}/{runbook['id']}", headers=tenant.admin.headers)

    assert archived.status_code == 204, archived.text


async def test_archiving_a_workflow_a_catalog_item_fulfils_through_is_refused_unless_forced(
    tenant: TenantContext, client: httpx.AsyncClient
) -> None:
    workflow = await create_workflow(tenant, workflow_body(workflow_step("wait", "delay", seconds=1), name="Onboard"))
    item = await create_item(
        tenant,
        name="New starter",
        variables=[],
        fulfillment_type="workflow",
        fulfillment_config={"workflow_id": workflow["id"]},
    )

    refused = await client.delete(f"{WORKFLOWS}/{workflow['id']}", headers=tenant.admin.headers)

    assert refused.status_code == 409, refused.text
    assert refused.json()["used_by"] == [{"type": "catalog_item", "id": item["id"], "name": "New starter"}]
    still = await client.get(f"{WORKFLOWS}/{workflow['id']}", headers=tenant.admin.headers)
    assert still.json()["archived_at"] is None
    forced = await client.delete(f"{WORKFLOWS}/{workflow['id']}?force=true", headers=tenant.admin.headers)
    assert forced.status_code == 204
    event = await archived_event(tenant, "workflow.archived", workflow["id"])
    assert event["summary"]["used_by"] == [{"type": "catalog_item", "id": item["id"], "name": "New starter"}]
