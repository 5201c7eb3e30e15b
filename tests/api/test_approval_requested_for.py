"""ITSM approvals of a request submitted for someone else (issue 11, item 2): four-eyes refuses the submitter and
the person the request is for, and a `manager` step goes to the manager of the person the request is for."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.api.conftest import TenantContext
from tests.api.sweep_approvals import DEFINITIONS, INSTANCES, create_definition, decide, signed_in, step
from tests.api.sweep_itsm import REQUESTS, create_item

FORM = [{"name": "laptop", "type": "string", "required": True}]


async def test_a_request_for_someone_else_is_decided_by_neither_and_their_manager_signs_off(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    submitters_boss, beneficiarys_boss = await signed_in(tenant, app), await signed_in(tenant, app)
    submitter = await signed_in(tenant, app, roles=["cab"], manager_id=submitters_boss.id)
    beneficiary = await signed_in(tenant, app, roles=["cab"], manager_id=beneficiarys_boss.id)
    cab = await signed_in(tenant, app, roles=["cab"])
    ladder = await create_definition(tenant, step("manager", 1, "manager"), step("cab", 2, "role", "cab"))
    item = await create_item(tenant, variables=FORM, workflow_definition_id=ladder["id"])
    body = {"catalog_item_id": item["id"], "variables": {"laptop": "x1"}, "requested_for": beneficiary.id}
    submitted = (await client.post(REQUESTS, json=body, headers=submitter.headers)).json()
    instance_id = submitted["approval_instance_id"]

    read = (await client.get(f"{INSTANCES}/{instance_id}", headers=beneficiary.headers)).json()
    assert (read["requester_id"], read["requested_for_id"], read["can_decide"]) == (submitter.id, beneficiary.id, [])
    for person in (submitter, beneficiary):
        refused = await decide(person, instance_id)
        assert refused.status_code == 403, refused.text
        assert refused.json()["type"].endswith("/four-eyes"), refused.json()
        assert "four-eyes" in refused.json()["detail"]
    not_theirs = await decide(submitters_boss, instance_id)
    assert not_theirs.status_code == 403, "the manager step is the beneficiary's manager's, not the submitter's"
    after_manager = await decide(beneficiarys_boss, instance_id)
    assert (after_manager.status_code, after_manager.json()["current_step"]) == (200, 2), after_manager.text

    # Both are CAB members, yet the CAB step is the third member's alone.
    for person in (submitter, beneficiary):
        assert (await decide(person, instance_id)).status_code == 403
    assert (await client.get(f"{INSTANCES}/{instance_id}", headers=cab.headers)).json()["can_decide"] == ["cab"]
    assert (await decide(cab, instance_id)).json()["status"] == "approved"
    request = (await client.get(f"{REQUESTS}/{submitted['id']}", headers=submitter.headers)).json()
    assert request["status"] == "in_fulfillment", request


async def test_a_manager_step_for_someone_without_a_manager_waits_flagged(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    boss = await signed_in(tenant, app)
    submitter = await signed_in(tenant, app, manager_id=boss.id)
    beneficiary = await signed_in(tenant, app)  # no manager: the submitter's is not asked instead
    ladder = await create_definition(tenant, step("manager", 1, "manager"))
    item = await create_item(tenant, variables=FORM, workflow_definition_id=ladder["id"])
    body = {"catalog_item_id": item["id"], "variables": {"laptop": "x1"}, "requested_for": beneficiary.id}
    submitted = (await client.post(REQUESTS, json=body, headers=submitter.headers)).json()
    instance = (await client.get(f"{INSTANCES}/{submitted['approval_instance_id']}", headers=submitter.headers)).json()
    [manager_step] = instance["step_results"]
    assert (instance["status"], manager_step["status"]) == ("pending", "pending")
    assert "no eligible approvers" in manager_step["reason"]
    assert (await decide(boss, instance["id"])).status_code == 403


async def test_a_manager_who_requests_for_their_report_may_not_approve_as_their_manager(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    boss = await signed_in(tenant, app)
    report = await signed_in(tenant, app, manager_id=boss.id)
    ladder = await create_definition(tenant, step("manager", 1, "manager"))
    item = await create_item(tenant, variables=FORM, workflow_definition_id=ladder["id"])
    body = {"catalog_item_id": item["id"], "variables": {"laptop": "x1"}, "requested_for": report.id}
    submitted = (await client.post(REQUESTS, json=body, headers=boss.headers)).json()
    refused = await decide(boss, submitted["approval_instance_id"])
    assert refused.status_code == 403, refused.text
    assert refused.json()["type"].endswith("/four-eyes")


async def test_preview_for_someone_else_names_their_manager_and_leaves_both_out(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    submitters_boss, beneficiarys_boss = await signed_in(tenant, app), await signed_in(tenant, app)
    submitter = await signed_in(tenant, app, roles=["cab"], manager_id=submitters_boss.id)
    beneficiary = await signed_in(tenant, app, roles=["cab"], manager_id=beneficiarys_boss.id)
    cab = await signed_in(tenant, app, roles=["cab"])
    ladder = await create_definition(tenant, step("manager", 1, "manager"), step("cab", 2, "role", "cab"))
    response = await client.post(
        f"{DEFINITIONS}/{ladder['id']}/preview",
        json={"requested_for_id": beneficiary.id},
        headers=submitter.headers,
    )
    assert response.status_code == 200, response.text
    preview = response.json()
    assert (preview["requester_id"], preview["requested_for_id"]) == (submitter.id, beneficiary.id)
    manager, cab_step = (order["steps"][0] for order in preview["orders"])
    assert [a["id"] for a in manager["approvers"]] == [beneficiarys_boss.id]
    assert [a["id"] for a in cab_step["approvers"]] == [cab.id]
    assert "the person the request is for is left out by the four-eyes rule" in cab_step["notes"]
