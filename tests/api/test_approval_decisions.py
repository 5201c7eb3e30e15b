"""Deciding approval instances over HTTP (PRODUCT.md §3 and §10), one rule per test.

Ladders, quorum, parallel steps, four-eyes, delegation, empty approver sets, refusals and cancel.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from tests.api.conftest import Actor, TenantContext
from tests.api.sweep_approvals import INSTANCES, create_definition, decide, several, signed_in, start_instance, step


async def _read(actor: Actor, instance_id: str) -> dict[str, Any]:
    response = await actor.tenant.client.get(f"{INSTANCES}/{instance_id}", headers=actor.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _events(actor: Actor, instance_id: str) -> list[str]:
    response = await actor.tenant.client.get(f"{INSTANCES}/{instance_id}/events", headers=actor.headers)
    assert response.status_code == 200, response.text
    return [event["kind"] for event in reversed(response.json()["items"])]  # the API lists newest first


def _statuses(instance: dict[str, Any]) -> dict[str, str]:
    return {s["name"]: s["status"] for s in instance["step_results"]}


async def _jobs(t: TenantContext, kind: str, instance_id: str) -> int:
    async with t.database.transaction() as session:
        count = await session.scalar(
            text("SELECT count(*) FROM jobs WHERE kind = :kind AND payload->>'instance_id' = :id"),
            {"kind": kind, "id": instance_id},
        )
    return int(count or 0)


async def test_manager_then_cab_ladder_is_approved_end_to_end(tenant: TenantContext, app: FastAPI) -> None:
    boss = await signed_in(tenant, app)
    requester = await signed_in(tenant, app, manager_id=boss.id)
    cab = [await signed_in(tenant, app, roles=["cab"]) for _ in range(3)]
    definition = await create_definition(
        tenant, step("manager", 1, "manager"), step("cab", 2, "role", "cab", min_approvals=2)
    )
    instance = await start_instance(requester, definition["id"], {"item": "Laptop", "cost": 1800})
    assert (instance["status"], instance["current_step"], instance["can_decide"]) == ("pending", 1, [])

    assert (await decide(cab[0], instance["id"])).status_code == 403, "the CAB's turn has not come yet"
    after_boss = (await decide(boss, instance["id"], comment="ok by me")).json()
    assert (after_boss["current_step"], _statuses(after_boss)) == (2, {"manager": "approved", "cab": "pending"})
    assert (await _read(cab[0], instance["id"]))["can_decide"] == ["cab"]
    assert (await decide(cab[0], instance["id"])).json()["status"] == "pending", "quorum is two"
    done = (await decide(cab[1], instance["id"])).json()

    assert (done["status"], done["current_step"], done["finished_at"] is not None) == ("approved", None, True)
    decisions = [(d["user_id"], d["outcome"], d["comment"]) for s in done["step_results"] for d in s["decisions"]]
    assert decisions == [
        (boss.id, "approved", "ok by me"),
        (cab[0].id, "approved", None),
        (cab[1].id, "approved", None),
    ]
    assert (await decide(cab[2], instance["id"])).status_code == 409
    assert await _events(requester, instance["id"]) == [
        "started",
        "notice.approval_requested",
        "decided",
        "notice.approval_requested",
        "decided",
        "decided",
        "finished",
        "notice.request_finished",
    ]
    assert await _jobs(tenant, "approvals.finished", instance["id"]) == 1
    assert await _jobs(tenant, "approvals.notify", instance["id"]) == 3, "boss, then the CAB, then the requester"


async def test_rejecting_a_required_step_rejects_the_instance(tenant: TenantContext, app: FastAPI) -> None:
    approver, requester = await signed_in(tenant, app), await signed_in(tenant, app)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id), step("cab", 2, "any"))
    instance = await start_instance(requester, definition["id"])

    rejected = await decide(approver, instance["id"], "reject", comment="no budget")

    body = rejected.json()
    assert (rejected.status_code, body["status"], body["current_step"]) == (200, "rejected", None)
    assert _statuses(body) == {"lead": "rejected", "cab": "pending"}
    assert body["step_results"][0]["decisions"][0]["comment"] == "no budget"


async def test_rejecting_an_optional_step_is_recorded_and_the_instance_moves_on(
    tenant: TenantContext, app: FastAPI
) -> None:
    advisor, lead, requester = await several(tenant, app, 3)
    definition = await create_definition(
        tenant, step("advice", 1, "user", advisor.id, required=False), step("lead", 2, "user", lead.id)
    )
    instance = await start_instance(requester, definition["id"])

    advised = (await decide(advisor, instance["id"], "reject", comment="risky")).json()
    assert (advised["status"], advised["current_step"]) == ("pending", 2)
    done = (await decide(lead, instance["id"])).json()

    assert done["status"] == "approved"
    assert _statuses(done) == {"advice": "rejected", "lead": "approved"}


async def test_a_group_quorum_of_two_needs_two_distinct_approvers(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    members = [await signed_in(tenant, app) for _ in range(3)]
    requester = await signed_in(tenant, app)
    group = (await client.post("/api/groups", json={"name": "Finance"}, headers=tenant.admin.headers)).json()["id"]
    for member in members:
        await client.post(f"/api/groups/{group}/members", json={"user_id": member.id}, headers=tenant.admin.headers)
    definition = await create_definition(tenant, step("finance", 1, "group", "Finance", min_approvals=2))
    instance = await start_instance(requester, definition["id"])

    first = await decide(members[0], instance["id"])
    twice = await decide(members[0], instance["id"])
    second = await decide(members[1], instance["id"])

    assert (first.json()["status"], twice.status_code, second.json()["status"]) == ("pending", 409, "approved")
    assert [d["user_id"] for d in second.json()["step_results"][0]["decisions"]] == [m.id for m in members[:2]]


async def test_parallel_steps_of_one_order_must_all_finish_and_step_names_one(
    tenant: TenantContext, app: FastAPI
) -> None:
    both, finance, cab, requester = await several(tenant, app, 4)
    definition = await create_definition(
        tenant,
        step("security", 1, "user", both.id),
        step("finance", 1, "role", "finance-approver"),
        step("cab", 2, "user", cab.id),
    )
    await tenant.client.patch(
        f"/api/users/{both.id}", json={"roles": ["finance-approver"]}, headers=tenant.admin.headers
    )
    await tenant.client.patch(
        f"/api/users/{finance.id}", json={"roles": ["finance-approver"]}, headers=tenant.admin.headers
    )
    instance = await start_instance(requester, definition["id"])
    assert sorted((await _read(both, instance["id"]))["can_decide"]) == ["finance", "security"]

    named = (await decide(both, instance["id"], step="security")).json()
    assert (_statuses(named), named["current_step"]) == (
        {"security": "approved", "finance": "pending", "cab": "pending"},
        1,
    )
    assert (await decide(both, instance["id"], step="security")).status_code == 409
    unknown = await decide(both, instance["id"], step="nope")
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (422, "step")
    assert (await decide(cab, instance["id"], step="cab")).status_code == 409, "order 2 is not current yet"
    moved = (await decide(finance, instance["id"])).json()
    assert (moved["current_step"], _statuses(moved)["finance"]) == (2, "approved")


async def test_the_requester_may_not_approve_their_own_request_unless_the_definition_allows_it(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    requester, colleague = await several(tenant, app, 2)
    group = (await client.post("/api/groups", json={"name": "CAB"}, headers=tenant.admin.headers)).json()["id"]
    for member in (requester, colleague):
        await client.post(f"/api/groups/{group}/members", json={"user_id": member.id}, headers=tenant.admin.headers)
    four_eyes = await create_definition(tenant, step("cab", 1, "group", "CAB"))
    self_service = await create_definition(tenant, step("cab", 1, "group", "CAB"), allow_self_approval=True)

    guarded = await start_instance(requester, four_eyes["id"])
    refused = await decide(requester, guarded["id"])
    assert (guarded["can_decide"], refused.status_code) == ([], 403)
    assert "four-eyes" in refused.json()["detail"]
    assert (await decide(colleague, guarded["id"])).json()["status"] == "approved"

    allowed = await start_instance(requester, self_service["id"])
    assert allowed["can_decide"] == ["cab"]
    assert (await decide(requester, allowed["id"])).json()["status"] == "approved"


async def test_a_delegate_decides_for_an_absent_approver_and_the_decision_records_both(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    approver, delegate, requester = await several(tenant, app, 3)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    instance = await start_instance(requester, definition["id"])
    assert (await decide(delegate, instance["id"])).status_code == 403

    until = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    delegated = await client.patch(
        f"/api/users/{approver.id}",
        json={"delegate_id": delegate.id, "delegate_until": until},
        headers=tenant.admin.headers,
    )
    assert delegated.status_code == 200, delegated.text
    assert (await _read(delegate, instance["id"]))["can_decide"] == ["lead"]
    done = (await decide(delegate, instance["id"], comment="covering for the lead")).json()

    decision = done["step_results"][0]["decisions"][0]
    assert (done["status"], decision["user_id"], decision["on_behalf_of"]) == ("approved", delegate.id, approver.id)


async def test_an_expired_delegation_gives_no_right_to_decide(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    approver, delegate, requester = await several(tenant, app, 3)
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    await client.patch(
        f"/api/users/{approver.id}",
        json={"delegate_id": delegate.id, "delegate_until": past},
        headers=tenant.admin.headers,
    )
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    instance = await start_instance(requester, definition["id"])

    assert (await decide(delegate, instance["id"])).status_code == 403


async def test_an_empty_optional_group_is_skipped_and_an_empty_required_group_waits_flagged(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    requester, member = await signed_in(tenant, app), await signed_in(tenant, app)
    groups = {}
    for name in ("Advisors", "Security"):
        created = await client.post("/api/groups", json={"name": name}, headers=tenant.admin.headers)
        groups[name] = created.json()["id"]
    definition = await create_definition(
        tenant, step("advice", 1, "group", "Advisors", required=False), step("security", 2, "group", "Security")
    )

    instance = await start_instance(requester, definition["id"])

    advice, security = instance["step_results"]
    assert (advice["status"], advice["reason"]) == ("skipped", f"no eligible approvers (group {groups['Advisors']})")
    assert (instance["status"], instance["current_step"], security["status"]) == ("pending", 2, "pending")
    assert security["reason"] == f"no eligible approvers (group {groups['Security']})"
    assert "notice.step_flagged" in await _events(tenant.admin, instance["id"])
    assert await _jobs(tenant, "approvals.notify", instance["id"]) == 1, "the tenant admins are told"

    added = {"user_id": member.id}
    await client.post(f"/api/groups/{groups['Security']}/members", json=added, headers=tenant.admin.headers)
    refreshed = await client.post(f"{INSTANCES}/{instance['id']}/refresh-approvers", headers=tenant.admin.headers)
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["step_results"][1]["reason"] is None
    assert (await decide(member, instance["id"])).json()["status"] == "approved"


async def test_a_decision_on_a_finished_instance_is_a_conflict(tenant: TenantContext, app: FastAPI) -> None:
    approver, requester = await signed_in(tenant, app), await signed_in(tenant, app)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    instance = await start_instance(requester, definition["id"])
    await decide(approver, instance["id"])

    again = await decide(approver, instance["id"], "reject", comment="changed my mind")

    assert again.status_code == 409
    assert again.json()["type"].endswith("/instance-not-pending")


async def test_rejecting_without_a_comment_is_refused(tenant: TenantContext, app: FastAPI) -> None:
    approver, requester = await signed_in(tenant, app), await signed_in(tenant, app)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    instance = await start_instance(requester, definition["id"])

    for body in ({}, {"comment": "   "}):
        refused = await decide(approver, instance["id"], "reject", **body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "comment"
    assert (await _read(approver, instance["id"]))["status"] == "pending"


async def test_only_the_requester_or_an_admin_cancels(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    approver, requester = await signed_in(tenant, app), await signed_in(tenant, app)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    mine, theirs = await start_instance(requester, definition["id"]), await start_instance(requester, definition["id"])

    refused = await client.post(f"{INSTANCES}/{mine['id']}/cancel", json={}, headers=approver.headers)
    by_requester = await client.post(
        f"{INSTANCES}/{mine['id']}/cancel", json={"comment": "no longer needed"}, headers=requester.headers
    )
    by_admin = await client.post(f"{INSTANCES}/{theirs['id']}/cancel", headers=tenant.admin.headers)

    assert (refused.status_code, by_requester.json()["status"], by_admin.json()["status"]) == (
        403,
        "cancelled",
        "cancelled",
    )
    assert (await decide(approver, mine["id"])).status_code == 409
    assert (await client.post(f"{INSTANCES}/{mine['id']}/cancel", headers=requester.headers)).status_code == 409
    refresh = await client.post(f"{INSTANCES}/{mine['id']}/refresh-approvers", headers=requester.headers)
    assert refresh.status_code == 403, "refreshing approvers is for admins and service owners"
