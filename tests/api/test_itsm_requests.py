"""Service catalog and requests over HTTP (PRODUCT.md §4): forms, numbers, approvals, fulfillment, timeline."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from tests.api.conftest import TenantContext
from tests.api.sweep_approvals import create_definition, decide, signed_in, step
from tests.api.sweep_itsm import CATALOG, REQUESTS, create_item

GOOD = {"model": "13-inch", "cost": 1200}


async def _submit(
    t: TenantContext, headers: dict[str, str], item_id: str, variables: dict[str, Any], **extra: Any
) -> httpx.Response:
    return await t.client.post(
        REQUESTS, json={"catalog_item_id": item_id, "variables": variables, **extra}, headers=headers
    )


async def test_request_without_definition_goes_straight_to_manual_fulfillment(tenant: TenantContext) -> None:
    requester = await tenant.user()
    item = await create_item(tenant)
    response = await _submit(tenant, requester.headers, item["id"], GOOD)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["number"].startswith("REQ")
    assert len(body["number"]) == 10
    assert body["approval_instance_id"] is None
    assert body["status"] == "in_fulfillment"
    assert body["variables"] == {**GOOD, "notes": "none"}, "defaults are applied"
    assert [e["kind"] for e in body["timeline"]] == ["submitted", "no_approval", "in_fulfillment", "awaiting_fulfiller"]


async def test_form_errors_name_every_field_and_write_nothing(tenant: TenantContext) -> None:
    item = await create_item(tenant)
    response = await _submit(
        tenant, tenant.admin.headers, item["id"], {"model": "17-inch", "needed_by": "soon", "surprise": 1}
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"variables.model", "variables.cost", "variables.needed_by", "variables.surprise"}
    mine = await tenant.client.get(REQUESTS, headers=tenant.admin.headers)
    assert mine.json()["items"] == []


async def test_numbers_are_sequential_per_tenant_under_concurrency(tenant: TenantContext, make_tenant: Any) -> None:
    item = await create_item(tenant)
    responses = await asyncio.gather(*(_submit(tenant, tenant.admin.headers, item["id"], GOOD) for _ in range(10)))
    numbers = sorted(r.json()["number"] for r in responses)
    assert numbers == [f"REQ{n:07d}" for n in range(1, 11)]
    other: TenantContext = await make_tenant()
    other_item = await create_item(other)
    first_elsewhere = await _submit(other, other.admin.headers, other_item["id"], GOOD)
    assert first_elsewhere.json()["number"] == "REQ0000001"


async def test_idempotent_submit_creates_one_request(tenant: TenantContext) -> None:
    item = await create_item(tenant)
    headers = {**tenant.admin.headers, "Idempotency-Key": "submit-42"}
    first = await _submit(tenant, headers, item["id"], GOOD)
    again = await _submit(tenant, headers, item["id"], GOOD)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    listed = await tenant.client.get(REQUESTS, headers=tenant.admin.headers)
    assert len(listed.json()["items"]) == 1


async def test_inactive_items_cannot_be_requested(tenant: TenantContext) -> None:
    item = await create_item(tenant)
    assert (await tenant.client.delete(f"{CATALOG}/{item['id']}", headers=tenant.admin.headers)).status_code == 204
    response = await _submit(tenant, tenant.admin.headers, item["id"], GOOD)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "catalog_item_id"
    browse = await tenant.client.get(CATALOG, headers=tenant.admin.headers)
    assert item["id"] not in [i["id"] for i in browse.json()["items"]]


async def test_catalog_refuses_ids_that_are_not_approval_definitions(tenant: TenantContext) -> None:
    stranger = str(uuid.uuid4())
    response = await tenant.client.post(
        CATALOG, json={"name": "Bad", "workflow_definition_id": stranger}, headers=tenant.admin.headers
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "workflow_definition_id"
    assert stranger in error["message"]
    assert "fulfillment_type: workflow" in error["message"]


async def test_catalog_checks_runbook_fulfillment_and_form(tenant: TenantContext) -> None:
    response = await tenant.client.post(
        CATALOG,
        json={
            "name": "Bad",
            "fulfillment_type": "runbook",
            "fulfillment_config": {"runbook_id": str(uuid.uuid4())},
            "variables": [{"name": "Bad Name"}, {"name": "x", "type": "choice"}],
        },
        headers=tenant.admin.headers,
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"fulfillment_config.runbook_id", "variables.0.name", "variables.1.choices"}


async def test_manager_then_cab_approval_then_manual_fulfillment(tenant: TenantContext, app: FastAPI) -> None:
    boss = await signed_in(tenant, app)
    cab = await signed_in(tenant, app, roles=["cab"])
    fulfiller = await signed_in(tenant, app, roles=["fulfiller"])
    requester = await signed_in(tenant, app, manager_id=boss.id)
    ladder = await create_definition(tenant, step("manager", 1, "manager"), step("cab", 2, "role", "cab"))
    item = await create_item(tenant, workflow_definition_id=ladder["id"])
    submitted = (await _submit(tenant, requester.headers, item["id"], GOOD)).json()
    assert submitted["status"] == "pending_approval"
    assert submitted["approval_instance_id"]
    approver_view = await tenant.client.get(f"{REQUESTS}/{submitted['id']}", headers=boss.headers)
    assert approver_view.status_code == 200, "an approver may read what they approve"
    assert (await decide(boss, submitted["approval_instance_id"])).status_code == 200
    assert (await decide(cab, submitted["approval_instance_id"])).status_code == 200
    approved = (await tenant.client.get(f"{REQUESTS}/{submitted['id']}", headers=requester.headers)).json()
    assert approved["status"] == "in_fulfillment"
    # The requester may not list users, yet sees who decided by name.
    assert (await tenant.client.get(f"/api/users/{boss.id}", headers=requester.headers)).status_code in (403, 404)
    names = await tenant.client.get("/api/users", headers=tenant.admin.headers, params={"limit": 100})
    display = {u["id"]: u["display_name"] for u in names.json()["items"]}
    assert approved["people"] == {str(i): display[str(i)] for i in (boss.id, cab.id, requester.id)}
    refused = await tenant.client.post(f"{REQUESTS}/{submitted['id']}/fulfill", json={}, headers=requester.headers)
    assert refused.status_code == 403
    done = await tenant.client.post(
        f"{REQUESTS}/{submitted['id']}/fulfill", json={"note": "shipped"}, headers=fulfiller.headers
    )
    assert done.status_code == 200, done.text
    kinds = [e["kind"] for e in done.json()["timeline"]]
    assert kinds[:2] == ["submitted", "approval_started"]
    assert kinds[-3:] == ["in_fulfillment", "awaiting_fulfiller", "fulfilled"]
    assert done.json()["status"] == "fulfilled"
    again = await tenant.client.post(f"{REQUESTS}/{submitted['id']}/fulfill", json={}, headers=fulfiller.headers)
    assert again.status_code == 409


async def test_rejected_approval_rejects_the_request(tenant: TenantContext, app: FastAPI) -> None:
    cab = await signed_in(tenant, app, roles=["cab"])
    requester = await tenant.user()
    item = await create_item(
        tenant, workflow_definition_id=(await create_definition(tenant, step("cab", 1, "role", "cab")))["id"]
    )
    submitted = (await _submit(tenant, requester.headers, item["id"], GOOD)).json()
    rejected = await decide(cab, submitted["approval_instance_id"], "reject", comment="too expensive")
    assert rejected.status_code == 200, rejected.text
    after = (await tenant.client.get(f"{REQUESTS}/{submitted['id']}", headers=requester.headers)).json()
    assert after["status"] == "rejected"
    assert after["closed_at"] is not None


async def test_cancelling_a_pending_request_cancels_its_approval(tenant: TenantContext, app: FastAPI) -> None:
    cab = await signed_in(tenant, app, roles=["cab"])
    requester = await tenant.user()
    item = await create_item(
        tenant, workflow_definition_id=(await create_definition(tenant, step("cab", 1, "role", "cab")))["id"]
    )
    submitted = (await _submit(tenant, requester.headers, item["id"], GOOD)).json()
    cancelled = await tenant.client.post(f"{REQUESTS}/{submitted['id']}/cancel", headers=requester.headers)
    assert cancelled.json()["status"] == "cancelled"
    late = await decide(cab, submitted["approval_instance_id"])
    assert late.status_code == 409, "the approval closed with the request"


async def test_requesters_see_only_their_own_requests(tenant: TenantContext) -> None:
    alice, bob = await tenant.user(), await tenant.user()
    fulfiller = await tenant.user(roles=["fulfiller"])
    item = await create_item(tenant)
    mine = (await _submit(tenant, alice.headers, item["id"], GOOD)).json()
    assert (await tenant.client.get(f"{REQUESTS}/{mine['id']}", headers=bob.headers)).status_code == 404
    assert (await tenant.client.get(REQUESTS, params={"scope": "all"}, headers=bob.headers)).status_code == 403
    everything = await tenant.client.get(REQUESTS, params={"scope": "all"}, headers=fulfiller.headers)
    assert [r["id"] for r in everything.json()["items"]] == [mine["id"]]
    comment = await tenant.client.post(
        f"{REQUESTS}/{mine['id']}/comments", json={"comment": "any news?"}, headers=alice.headers
    )
    assert comment.json()["timeline"][-1]["message"] == "any news?"


async def test_requester_is_notified_in_app_at_each_change(tenant: TenantContext) -> None:
    requester = await tenant.user()
    fulfiller = await tenant.user(roles=["fulfiller"])
    item = await create_item(tenant)
    submitted = (await _submit(tenant, requester.headers, item["id"], GOOD)).json()
    await tenant.client.post(f"{REQUESTS}/{submitted['id']}/fulfill", json={}, headers=fulfiller.headers)
    inbox = (await tenant.client.get("/api/notifications", headers=requester.headers)).json()["items"]
    subjects = [n["subject"] for n in inbox]
    assert f"{submitted['number']}: fulfilled" in subjects
    assert f"{submitted['number']}: in fulfillment" in subjects
    assert all(n["link"] == f"/portal/requests/{submitted['id']}" for n in inbox)


async def test_concurrent_retries_with_one_idempotency_key_create_one_request(tenant: TenantContext) -> None:
    item = await create_item(tenant)
    headers = {**tenant.admin.headers, "Idempotency-Key": "double-click"}
    responses = await asyncio.gather(*(_submit(tenant, headers, item["id"], GOOD) for _ in range(5)))
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    listed = await tenant.client.get(REQUESTS, headers=tenant.admin.headers)
    assert len(listed.json()["items"]) == 1
