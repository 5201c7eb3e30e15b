"""Approval definitions over HTTP (PRODUCT.md §3): validation naming the field, versions, archive, preview."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.conftest import TenantContext
from tests.api.sweep_approvals import DEFINITIONS, create_definition, signed_in, start_instance, step


async def _group(t: TenantContext, name: str, *members: str) -> str:
    response = await t.client.post("/api/groups", json={"name": name}, headers=t.admin.headers)
    assert response.status_code == 201, response.text
    group_id = str(response.json()["id"])
    for user_id in members:
        added = await t.client.post(
            f"/api/groups/{group_id}/members", json={"user_id": user_id}, headers=t.admin.headers
        )
        assert added.status_code == 204, added.text
    return group_id


async def test_a_definition_stores_approvers_as_ids_and_shows_who_they_are(tenant: TenantContext, app: FastAPI) -> None:
    lead = await signed_in(tenant, app)
    group_id = await _group(tenant, "Network team")

    created = await create_definition(
        tenant,
        step("lead", 1, "user", lead.email),
        step("network", 2, "group", "Network team", required=False, timeout=3600, on_timeout="skip"),
        step("cab", 3, "role", "cab", min_approvals=2, remind_after=600),
        step("boss", 4, "manager"),
        description="Change ladder",
    )

    assert (created["version"], created["status"], created["allow_self_approval"]) == (1, "active", False)
    lead_step, network, cab, boss = created["steps"]
    assert (lead_step["approver_value"], lead_step["approver_label"]) == (lead.id, lead.email)
    assert (network["approver_value"], network["approver_label"]) == (group_id, "Network team")
    assert (network["required"], network["timeout"], network["on_timeout"]) == (False, 3600, "skip")
    assert (cab["approver_value"], cab["min_approvals"], cab["remind_after"]) == ("cab", 2, 600)
    assert (boss["approver_value"], boss["required"], boss["min_approvals"]) == (None, True, 1)
    read = await tenant.client.get(f"{DEFINITIONS}/{created['id']}", headers=lead.headers)
    assert read.status_code == 200
    assert read.json() == created


INVALID: list[tuple[str, list[dict[str, Any]], str]] = [
    ("no steps", [], "steps"),
    ("non-positive order", [step("a", 1, "any"), step("b", 0, "any")], "steps.1.order"),
    ("duplicate step names", [step("a", 1, "any"), step("a", 2, "any")], "steps.1.name"),
    ("unknown user", [step("a", 1, "user", "nobody@example.com")], "steps.0.approver_value"),
    ("unknown group", [step("a", 1, "group", "No such team")], "steps.0.approver_value"),
    ("role without a name", [step("a", 1, "role")], "steps.0.approver_value"),
    ("group without a value", [step("a", 1, "group")], "steps.0.approver_value"),
    ("value for any", [step("a", 1, "any", "everyone")], "steps.0.approver_value"),
    ("skip a required step", [step("a", 1, "any", timeout=60, on_timeout="skip")], "steps.0.on_timeout"),
    ("on_timeout without timeout", [step("a", 1, "any", required=False, on_timeout="skip")], "steps.0.on_timeout"),
    ("quorum on a manager", [step("a", 1, "manager", min_approvals=2)], "steps.0.min_approvals"),
    ("zero quorum", [step("a", 1, "any", min_approvals=0)], "steps.0.min_approvals"),
    ("unknown approver type", [step("a", 1, "robot")], "steps.0.approver_type"),
]


@pytest.mark.parametrize(("case", "steps", "field"), INVALID, ids=[case for case, _, _ in INVALID])
async def test_an_invalid_definition_is_refused_naming_the_field(
    client: httpx.AsyncClient, tenant: TenantContext, case: str, steps: list[dict[str, Any]], field: str
) -> None:
    response = await client.post(DEFINITIONS, json={"name": "bad", "steps": steps}, headers=tenant.admin.headers)

    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]], response.json()


async def test_only_service_owners_and_admins_write_definitions_while_every_user_reads_them(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    requester = await signed_in(tenant, app)
    owner = await signed_in(tenant, app, roles=["service_owner"])
    body = {"name": "Laptop approval", "steps": [step("boss", 1, "manager")]}

    refused = await client.post(DEFINITIONS, json=body, headers=requester.headers)
    created = await client.post(DEFINITIONS, json=body, headers=owner.headers)
    definition_id = created.json()["id"]

    assert (refused.status_code, created.status_code) == (403, 201)
    for call in (
        client.put(f"{DEFINITIONS}/{definition_id}", json=body, headers=requester.headers),
        client.delete(f"{DEFINITIONS}/{definition_id}", headers=requester.headers),
    ):
        assert (await call).status_code == 403
    listed = await client.get(DEFINITIONS, headers=requester.headers)
    assert [d["id"] for d in listed.json()["items"]] == [definition_id]
    duplicate = await client.post(DEFINITIONS, json=body, headers=owner.headers)
    assert duplicate.status_code == 409
    assert duplicate.json()["errors"][0]["field"] == "name"


async def test_put_makes_a_new_version_and_a_running_instance_keeps_its_own(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    first, second = await signed_in(tenant, app), await signed_in(tenant, app)
    requester = await signed_in(tenant, app)
    definition = await create_definition(tenant, step("approver", 1, "user", first.id), name="Access")
    running = await start_instance(requester, definition["id"])

    body = {"name": "Access v2", "steps": [step("approver", 1, "user", second.id), step("cab", 2, "role", "cab")]}
    updated = await client.put(f"{DEFINITIONS}/{definition['id']}", json=body, headers=tenant.admin.headers)

    assert updated.status_code == 200, updated.text
    assert (updated.json()["version"], updated.json()["name"], len(updated.json()["steps"])) == (2, "Access v2", 2)
    old = await client.get(f"{DEFINITIONS}/{definition['id']}", params={"version": 1}, headers=requester.headers)
    assert (old.json()["version"], old.json()["name"], old.json()["steps"][0]["approver_value"]) == (
        1,
        "Access",
        first.id,
    )
    assert running["definition_version"] == 1
    approved = await client.post(f"/api/workflows/instances/{running['id']}/approve", json={}, headers=first.headers)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["definition_version"]) == ("approved", 1)
    fresh = await start_instance(requester, definition["id"])
    assert fresh["definition_version"] == 2
    assert [s["name"] for s in fresh["step_results"]] == ["approver", "cab"]


async def test_an_archived_definition_starts_nothing_but_stays_readable(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    approver, requester = await signed_in(tenant, app), await signed_in(tenant, app)
    definition = await create_definition(tenant, step("approver", 1, "user", approver.id))
    running = await start_instance(requester, definition["id"])

    archived = await client.delete(f"{DEFINITIONS}/{definition['id']}", headers=tenant.admin.headers)

    assert archived.status_code == 204
    start = {"definition_id": definition["id"], "record_type": "test.record", "record_id": running["record_id"]}
    refused = await client.post("/api/workflows/instances", json=start, headers=requester.headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "definition_id"
    read = await client.get(f"{DEFINITIONS}/{definition['id']}", headers=requester.headers)
    assert (read.status_code, read.json()["status"]) == (200, "archived")
    by_status = {
        status: [
            d["id"]
            for d in (await client.get(DEFINITIONS, params={"status": status}, headers=requester.headers)).json()[
                "items"
            ]
        ]
        for status in ("active", "archived")
    }
    assert by_status == {"active": [], "archived": [definition["id"]]}
    again = await client.delete(f"{DEFINITIONS}/{definition['id']}", headers=tenant.admin.headers)
    edit = await client.put(
        f"{DEFINITIONS}/{definition['id']}",
        json={"name": "x", "steps": [step("a", 1, "any")]},
        headers=tenant.admin.headers,
    )
    assert (again.status_code, edit.status_code) == (409, 409)
    finished = await client.post(f"/api/workflows/instances/{running['id']}/approve", json={}, headers=approver.headers)
    assert finished.json()["status"] == "approved", "running instances of an archived definition carry on"


async def test_preview_answers_who_approves_in_which_order(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    boss = await signed_in(tenant, app)
    requester = await signed_in(tenant, app, roles=["cab"], manager_id=boss.id)
    cab = [await signed_in(tenant, app, roles=["cab"]) for _ in range(2)]
    await _group(tenant, "Empty team")
    definition = await create_definition(
        tenant,
        step("boss", 1, "manager"),
        step("security", 2, "group", "Empty team", required=False),
        step("cab", 2, "role", "cab", min_approvals=2, timeout=86400, on_timeout="reject"),
    )

    response = await client.post(
        f"{DEFINITIONS}/{definition['id']}/preview", json={"requester_id": requester.id}, headers=requester.headers
    )

    assert response.status_code == 200, response.text
    first, second = response.json()["orders"]
    assert first["order"] == 1
    assert [(a["id"], a["email"]) for a in first["steps"][0]["approvers"]] == [(boss.id, boss.email)]
    security, cab_step = second["steps"]
    assert security["approvers"] == []
    assert any("skipped" in note for note in security["notes"])
    assert sorted(a["id"] for a in cab_step["approvers"]) == sorted(c.id for c in cab)
    assert any("four-eyes" in note for note in cab_step["notes"])
    assert any("86400 s" in note and "reject" in note for note in cab_step["notes"])
    as_caller = await client.post(f"{DEFINITIONS}/{definition['id']}/preview", headers=boss.headers)
    assert as_caller.json()["requester_id"] == boss.id
    assert any("no eligible approvers" in n for n in as_caller.json()["orders"][0]["steps"][0]["notes"])
