"""Reminders and escalation of ITSM approval steps with a real worker: reminded, then handed to the approver's
manager (or a group, or the fallback), who decides; never early, and exactly once with several workers racing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from sqlalchemy import text

from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import Actor, TenantContext
from tests.api.racing_workers import DUPLICATE_JOB, racing_workers
from tests.api.sweep_approvals import INSTANCES, create_definition, decide, signed_in, start_instance, step
from tests.api.sweep_itsm import create_item, request_until, submit_request
from tests.jobs.conftest import wait_for

ESCALATE_JOB = "approvals.escalate"
REMIND_JOB = "approvals.remind"


async def _events(actor: Actor, instance_id: str) -> list[dict[str, Any]]:
    response = await actor.tenant.client.get(f"{INSTANCES}/{instance_id}/events", headers=actor.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["kind"] for e in sorted(events, key=lambda e: e["created_at"])]


async def _notices(actor: Actor) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await actor.tenant.client.get("/api/notifications", headers=actor.headers)).json()[
        "items"
    ]
    return items


def _escalated(actor: Actor, instance_id: str) -> Callable[[], Any]:
    async def check() -> bool:
        return "step_escalated" in _kinds(await _events(actor, instance_id))

    return check


async def _scalar(t: TenantContext, sql: str, **binds: Any) -> Any:
    async with t.database.transaction() as session:
        return (await session.execute(text(sql), binds)).scalar_one()


async def _escalations_audited(t: TenantContext, instance_id: str) -> list[tuple[str, str]]:
    async with t.database.transaction() as session:
        rows = await session.execute(
            text("SELECT actor_type, actor_label FROM audit_events WHERE action = :a AND object_id = :id"),
            {"a": "approval_instance.step_escalated", "id": instance_id},
        )
        return [(row[0], row[1]) for row in rows]


async def test_a_request_is_reminded_then_escalated_to_the_approvers_manager_who_decides_it(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner
) -> None:
    boss = await signed_in(tenant, app)
    lead = await signed_in(tenant, app, manager_id=boss.id)
    requester = await signed_in(tenant, app)
    ladder = await create_definition(
        tenant, step("lead", 1, "user", lead.id, remind_after=2, escalate_after=3, escalate_to="manager")
    )
    assert ladder["steps"][0]["escalate_to"] == "manager"
    item = await create_item(tenant, workflow_definition_id=ladder["id"])
    request = await submit_request(requester, item["id"], {"model": "13-inch", "cost": 1})
    instance_id = str(request["approval_instance_id"])

    await wait_for(_escalated(requester, instance_id), timeout=30)
    events = sorted(await _events(requester, instance_id), key=lambda e: e["created_at"])
    kinds = [e["kind"] for e in events]
    before = kinds[: kinds.index("step_escalated")]
    assert before.count("notice.approval_reminder") == 1, kinds
    reminder = next(e for e in events if e["kind"] == "notice.approval_reminder")
    assert reminder["payload"]["recipients"] == [lead.id]
    escalation = next(e for e in events if e["kind"] == "step_escalated")
    assert (escalation["actor_id"], escalation["payload"]["added"]) == (None, [boss.id])
    assert escalation["payload"]["approver_ids"] == sorted([lead.id, boss.id])
    told = events[kinds.index("step_escalated") + 1 :]
    assert any(e["kind"] == "notice.approval_requested" and e["payload"]["recipients"] == [boss.id] for e in told)
    assert await _escalations_audited(tenant, instance_id) == [("system", "system")]

    instance = (await tenant.client.get(f"{INSTANCES}/{instance_id}", headers=boss.headers)).json()
    why = "escalated to the approvers' managers after 3 s without a decision"
    assert instance["step_results"][0]["escalation"] == why
    assert instance["can_decide"] == ["lead"]
    await wait_for(lambda: _notices(boss), timeout=15)
    [notice] = [n for n in await _notices(boss) if not n["subject"].startswith("Reminder")]  # later reminders: both
    assert notice["link"] == f"/approvals/instances/{instance_id}"
    assert notice["subject"].startswith("Approval needed:")

    never_early = """
        SELECT bool_and(j.run_at >= CAST(i.state->'steps'->0->>'opened_at' AS timestamptz) + interval '3 seconds')
            AND bool_and(e.created_at >= CAST(i.state->'steps'->0->>'opened_at' AS timestamptz) + interval '3 seconds')
        FROM jobs j
        JOIN approval_instances i ON i.id = CAST(j.payload->>'instance_id' AS uuid)
        JOIN approval_events e ON e.instance_id = i.id AND e.kind = 'step_escalated'
        WHERE j.kind = :kind AND i.id = CAST(:id AS uuid)
    """
    assert await _scalar(tenant, never_early, kind=ESCALATE_JOB, id=instance_id) is True

    answer = await decide(boss, instance_id)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "approved"
    moved_on = await request_until(tenant.client, requester.headers, str(request["id"]), {"in_fulfillment"})
    assert moved_on["status"] == "in_fulfillment"
    assert _kinds(await _events(requester, instance_id)).count("step_escalated") == 1


async def test_an_escalation_that_replaces_hands_the_step_to_a_named_group(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner
) -> None:
    lead = await signed_in(tenant, app)
    desk_member = await signed_in(tenant, app)
    requester = await signed_in(tenant, app)
    desk = (await tenant.client.post("/api/groups", json={"name": "service-desk"}, headers=tenant.admin.headers)).json()
    added = await tenant.client.post(
        f"/api/groups/{desk['id']}/members", json={"user_id": desk_member.id}, headers=tenant.admin.headers
    )
    assert added.status_code == 204, added.text
    ladder = await create_definition(
        tenant,
        step("lead", 1, "user", lead.id, escalate_after=1, escalate_to="group:service-desk", escalation_replaces=True),
    )
    assert ladder["steps"][0]["escalate_to"] == f"group:{desk['id']}", "stored by id: renaming the group is harmless"
    instance = await start_instance(requester, ladder["id"])

    await wait_for(_escalated(requester, instance["id"]), timeout=20)
    refused = await decide(lead, instance["id"])
    assert refused.status_code == 403, refused.text
    answer = await decide(desk_member, instance["id"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "approved"


async def test_escalation_never_adds_the_requester_and_falls_back_when_nobody_else_is_left(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner
) -> None:
    requester = await signed_in(tenant, app)
    lead = await signed_in(tenant, app, manager_id=requester.id)  # the lead's manager asked for it: four-eyes
    ladder = await create_definition(tenant, step("lead", 1, "user", lead.id, escalate_after=1, escalate_to="manager"))
    instance = await start_instance(requester, ladder["id"])

    await wait_for(_escalated(requester, instance["id"]), timeout=20)
    escalation = next(e for e in await _events(requester, instance["id"]) if e["kind"] == "step_escalated")
    assert requester.id not in escalation["payload"]["approver_ids"]
    assert escalation["payload"]["added"] == [tenant.admin.id], "no manager who may decide: the fallback (admins)"
    assert escalation["payload"]["to"].startswith("the admins")
    assert (await decide(requester, instance["id"])).status_code == 403


async def test_three_workers_racing_on_the_same_due_escalation_escalate_once(
    tenant: TenantContext, app: FastAPI
) -> None:
    boss_one = await signed_in(tenant, app)
    boss_two = await signed_in(tenant, app)
    leads = [await signed_in(tenant, app, manager_id=manager.id) for manager in (boss_one, boss_two, boss_two)]
    requester = await signed_in(tenant, app)
    group = (await tenant.client.post("/api/groups", json={"name": "leads"}, headers=tenant.admin.headers)).json()
    for lead in leads:
        joined = await tenant.client.post(
            f"/api/groups/{group['id']}/members", json={"user_id": lead.id}, headers=tenant.admin.headers
        )
        assert joined.status_code == 204, joined.text
    ladder = await create_definition(tenant, step("lead", 1, "group", "leads", escalate_after=2, escalate_to="manager"))
    instance = await start_instance(requester, ladder["id"])
    async with tenant.database.transaction() as session:
        for _ in range(2):  # the same due time three times over
            binds = {"kind": ESCALATE_JOB, "key": "instance_id", "id": instance["id"]}
            await session.execute(text(DUPLICATE_JOB), binds)
    jobs = "SELECT count(*) FROM jobs WHERE kind = :kind AND payload->>'instance_id' = :id AND status = :status"

    async with racing_workers(app, 3):

        async def all_ran() -> bool:
            done = await _scalar(tenant, jobs, kind=ESCALATE_JOB, id=instance["id"], status="succeeded")
            return bool(done == 3)

        await wait_for(all_ran, timeout=30)
        for boss in (boss_one, boss_two):
            await wait_for(lambda boss=boss: _notices(boss), timeout=15)

    kinds = _kinds(await _events(requester, instance["id"]))
    assert kinds.count("step_escalated") == 1, kinds
    assert len(await _escalations_audited(tenant, instance["id"])) == 1
    for boss in (boss_one, boss_two):
        assert len(await _notices(boss)) == 1, "one notice per escalation target, however many workers raced"


async def test_three_workers_racing_on_the_same_due_reminder_remind_once(tenant: TenantContext, app: FastAPI) -> None:
    lead = await signed_in(tenant, app)
    requester = await signed_in(tenant, app)
    ladder = await create_definition(tenant, step("lead", 1, "user", lead.id, remind_after=4))
    instance = await start_instance(requester, ladder["id"])
    async with tenant.database.transaction() as session:
        for _ in range(2):  # the same due time three times over
            binds = {"kind": REMIND_JOB, "key": "instance_id", "id": instance["id"]}
            await session.execute(text(DUPLICATE_JOB), binds)
    jobs = "SELECT count(*) FROM jobs WHERE kind = :kind AND payload->>'instance_id' = :id AND status = :status"

    async def reminders() -> list[dict[str, Any]]:
        return [n for n in await _notices(lead) if n["subject"].startswith("Reminder")]

    async with racing_workers(app, 3):

        async def all_ran() -> bool:
            done = await _scalar(tenant, jobs, kind=REMIND_JOB, id=instance["id"], status="succeeded")
            return bool(done == 3)

        await wait_for(all_ran, timeout=30)
        await wait_for(reminders, timeout=15)
        sent = await reminders()
        next_ones = await _scalar(tenant, jobs, kind=REMIND_JOB, id=instance["id"], status="queued")
    assert len(sent) == 1, "one reminder for one due time, however many jobs and workers"
    assert next_ones == 1, "and one next reminder scheduled, not one per duplicate"
