"""A leaver's pending approvals never hang: deactivation (by SCIM or an admin) re-routes what only they could decide."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import Actor, TenantContext
from tests.api.scim_helpers import SCIM_JSON, scim_token
from tests.api.sweep_approvals import INSTANCES, create_definition, decide, signed_in, start_instance, step
from tests.api.sweep_automation import create_workflow, execute_workflow, pending_gate, wait_until, workflow_body
from tests.api.sweep_automation import decide as decide_gate
from tests.api.sweep_automation import step as workflow_step

pytestmark = pytest.mark.asyncio
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


async def _read(actor: Actor, instance_id: str) -> dict[str, Any]:
    response = await actor.tenant.client.get(f"{INSTANCES}/{instance_id}", headers=actor.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _events(actor: Actor, instance_id: str) -> list[dict[str, Any]]:
    response = await actor.tenant.client.get(f"{INSTANCES}/{instance_id}/events", headers=actor.headers)
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _fallback_group(tenant: TenantContext, members: list[str]) -> str:
    group = await tenant.client.post("/api/groups", json={"name": "Service desk"}, headers=tenant.admin.headers)
    for member in members:
        added = await tenant.client.post(
            f"/api/groups/{group.json()['id']}/members", json={"user_id": member}, headers=tenant.admin.headers
        )
        assert added.status_code == 204, added.text
    settings = await tenant.client.patch(
        "/api/tenant", json={"fallback_group_id": group.json()["id"]}, headers=tenant.admin.headers
    )
    assert settings.status_code == 200, settings.text
    assert settings.json()["fallback_group_id"] == group.json()["id"]
    return str(group.json()["id"])


async def test_scim_deactivation_reroutes_a_manager_step_to_the_fallback_group_and_kills_the_token(
    app: FastAPI, tenant: TenantContext
) -> None:
    boss = await signed_in(tenant, app)
    desk = await signed_in(tenant, app)
    await _fallback_group(tenant, [desk.id])
    requester = await signed_in(tenant, app, manager_id=boss.id)
    definition = await create_definition(tenant, step("manager", 1, "manager"))
    instance = await start_instance(requester, definition["id"])
    assert (await _read(boss, instance["id"]))["can_decide"] == ["manager"]
    before = await tenant.client.get(f"{INSTANCES}/{instance['id']}", headers=desk.headers)
    assert before.status_code == 403, "the desk is no approver yet"

    headers = {"Authorization": f"Bearer {await scim_token(tenant)}", **SCIM_JSON}
    off = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    response = await tenant.client.patch(f"/scim/v2/Users/{boss.id}", json=off, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False

    assert (await tenant.client.get("/api/me", headers=boss.headers)).status_code == 401
    after = await _read(desk, instance["id"])
    assert after["status"] == "pending"
    assert after["can_decide"] == ["manager"]
    (result,) = after["step_results"]
    assert result["rerouted"]
    assert "fallback group" in result["rerouted"]
    rerouted = [e for e in await _events(desk, instance["id"]) if e["kind"] == "step_rerouted"]
    assert len(rerouted) == 1
    assert rerouted[0]["payload"]["approver_ids"] == [desk.id]
    notices = [e for e in await _events(desk, instance["id"]) if e["kind"] == "notice.approval_requested"]
    assert desk.id in notices[0]["payload"]["recipients"], "the new approver is told"
    assert (await decide(desk, instance["id"])).json()["status"] == "approved"


async def test_an_admin_disabling_the_only_approver_reroutes_to_the_admins(app: FastAPI, tenant: TenantContext) -> None:
    approver = await signed_in(tenant, app)
    requester = await signed_in(tenant, app)
    definition = await create_definition(tenant, step("approver", 1, "user", approver.id))
    instance = await start_instance(requester, definition["id"])
    disabled = await tenant.client.patch(
        f"/api/users/{approver.id}", json={"is_active": False}, headers=tenant.admin.headers
    )
    assert disabled.status_code == 200, disabled.text
    after = await _read(tenant.admin, instance["id"])
    assert after["can_decide"] == ["approver"]
    assert "admins" in after["step_results"][0]["rerouted"]


async def test_a_group_step_with_other_members_is_not_rerouted(app: FastAPI, tenant: TenantContext) -> None:
    leaver, stayer = await signed_in(tenant, app), await signed_in(tenant, app)
    group = await tenant.client.post("/api/groups", json={"name": "CAB"}, headers=tenant.admin.headers)
    for member in (leaver, stayer):
        await tenant.client.post(
            f"/api/groups/{group.json()['id']}/members", json={"user_id": member.id}, headers=tenant.admin.headers
        )
    requester = await signed_in(tenant, app)
    definition = await create_definition(tenant, step("cab", 1, "group", group.json()["id"]))
    instance = await start_instance(requester, definition["id"])
    await tenant.client.patch(f"/api/users/{leaver.id}", json={"is_active": False}, headers=tenant.admin.headers)
    after = await _read(stayer, instance["id"])
    assert after["can_decide"] == ["cab"]
    assert after["step_results"][0]["rerouted"] is None
    assert (await _read(tenant.admin, instance["id"]))["can_decide"] == []
    assert "step_rerouted" not in [e["kind"] for e in await _events(stayer, instance["id"])]


async def test_deactivation_reroutes_a_pending_gate_whose_only_approver_left(
    app: FastAPI, tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    dba = await tenant.user()
    desk = await tenant.user()
    await _fallback_group(tenant, [desk.id])
    body = workflow_body(workflow_step("approve", "approval", approvers=[{"type": "user", "value": dba.id}]))
    workflow = str((await create_workflow(tenant, body))["id"])
    execution = await execute_workflow(tenant.admin, workflow, {})
    await wait_until(tenant.admin, execution, {"waiting"})
    gate = await pending_gate(tenant.admin, execution)
    assert gate["rerouted"] is None
    assert (await decide_gate(desk, gate["id"], "approve")).status_code == 403

    headers = {"Authorization": f"Bearer {await scim_token(tenant)}", **SCIM_JSON}
    off = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]}
    assert (await tenant.client.patch(f"/scim/v2/Users/{dba.id}", json=off, headers=headers)).status_code == 200
    assert (await tenant.client.get("/api/me", headers=dba.headers)).status_code == 401

    after = await pending_gate(tenant.admin, execution)
    assert after["rerouted"]
    assert "fallback group" in after["rerouted"]
    notices = (await tenant.client.get("/api/notifications", headers=desk.headers)).json()["items"]
    assert [n["subject"] for n in notices] == ["Approval needed: approve (re-routed)"]
    answer = await decide_gate(desk, gate["id"], "approve")
    assert answer.status_code == 200, answer.text
    done = await wait_until(tenant.admin, execution, {"succeeded", "failed"})
    assert done["status"] == "succeeded"
