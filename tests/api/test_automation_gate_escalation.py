"""Reminders and escalation of automation approval gates with a real worker: reminded, escalated to the approver's
manager, who approves, and the execution resumes; a replacing escalation shuts the original approvers out.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import text

from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import Actor, TenantContext
from tests.api.racing_workers import DUPLICATE_JOB, racing_workers
from tests.api.sweep_approvals import signed_in
from tests.api.sweep_automation import (
    GATES,
    create_workflow,
    decide,
    execute_workflow,
    pending_gate,
    step,
    steps_of,
    wait_until,
    workflow_body,
)
from tests.jobs.conftest import wait_for


async def _gate(actor: Actor, gate_id: str) -> dict[str, Any]:
    listed = await actor.tenant.client.get(GATES, params={"status": "pending"}, headers=actor.tenant.admin.headers)
    found = [g for g in listed.json()["items"] if g["id"] == gate_id]
    if found:
        return dict(found[0])
    everything = (await actor.tenant.client.get(GATES, headers=actor.tenant.admin.headers)).json()["items"]
    return dict(next(g for g in everything if g["id"] == gate_id))


async def _notices(actor: Actor) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await actor.tenant.client.get("/api/notifications", headers=actor.headers)).json()[
        "items"
    ]
    return items


def _gated(approvers: list[dict[str, Any]], **config: Any) -> dict[str, Any]:
    return workflow_body(
        step("sign-off", "approval", approvers=approvers, message="Restart the cluster?", **config),
        step("after", "delay", seconds=0),
    )


async def test_a_gate_is_reminded_then_escalated_to_the_managers_who_approve_and_the_execution_resumes(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner
) -> None:
    boss = await signed_in(tenant, app)
    lead = await signed_in(tenant, app, manager_id=boss.id)
    body = _gated(
        [{"type": "user", "value": lead.id}], remind_after_seconds=2, escalate_after_seconds=3, escalate_to="manager"
    )
    workflow = await create_workflow(tenant, body)
    execution = await execute_workflow(tenant.admin, str(workflow["id"]))
    gate = await pending_gate(tenant.admin, execution)

    async def escalated() -> bool:
        return (await _gate(lead, gate["id"]))["escalated_at"] is not None

    await wait_for(escalated, timeout=30)
    seen = await _gate(lead, gate["id"])
    kinds = [entry["kind"] for entry in seen["history"]]
    assert kinds[: kinds.index("escalated")] == ["reminded"], kinds
    assert seen["history"][0]["recipients"] == [lead.id]
    escalation = seen["history"][kinds.index("escalated")]
    assert (escalation["added"], escalation["to"]) == ([boss.id], "the approvers' managers")
    async with tenant.database.transaction() as session:
        audited = (
            await session.execute(
                text("SELECT actor_type FROM audit_events WHERE action = :a AND object_id = :id"),
                {"a": "automation_approval.escalated", "id": gate["id"]},
            )
        ).all()
        never_early = await session.scalar(
            text(
                "SELECT bool_and(j.run_at >= g.created_at + interval '3 seconds') FROM jobs j"
                " JOIN approval_gates g ON g.id = CAST(j.payload->>'gate_id' AS uuid)"
                " WHERE j.kind = 'automation.gate_escalate' AND g.id = CAST(:id AS uuid)"
            ),
            {"id": gate["id"]},
        )
    assert [row[0] for row in audited] == ["system"]
    assert never_early is True

    await wait_for(lambda: _notices(boss), timeout=15)
    asked = [n for n in await _notices(boss) if not n["subject"].startswith("Reminder")]
    assert [n["subject"] for n in asked] == ["Approval needed: sign-off (escalated)"]
    assert "Restart the cluster?" in asked[0]["body"]
    mine = (await tenant.client.get(GATES, params={"mine": "true"}, headers=boss.headers)).json()["items"]
    assert [g["id"] for g in mine] == [gate["id"]]
    lead_notices = [n["subject"] for n in await _notices(lead)]
    assert "Reminder: approval needed: sign-off" in lead_notices
    # The manager is asked as the first approver was: their own signed approve / reject links (and the reminded
    # approver gets fresh ones with the reminder).
    async with tenant.database.transaction() as session:
        links = dict(
            (
                await session.execute(
                    text(
                        "SELECT CAST(user_id AS text), count(*) FROM action_links"
                        " WHERE subject_type = 'gate' AND subject_id = CAST(:id AS uuid) GROUP BY user_id"
                    ),
                    {"id": gate["id"]},
                )
            ).all()
        )
    # lead: the opening's pair and a reminder's; boss: the escalation's (later reminders add pairs to both)
    assert links.get(lead.id, 0) >= 4, links
    assert links.get(boss.id, 0) >= 2, links

    answer = await decide(boss, gate["id"], "approve", "go ahead")
    assert answer.status_code == 200, answer.text
    done = await wait_until(tenant.admin, execution, {"succeeded", "failed", "rejected"})
    assert done["status"] == "succeeded", done
    assert steps_of(done)["after"]["status"] == "succeeded"


async def test_a_replacing_escalation_to_a_group_shuts_the_original_approver_out(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner
) -> None:
    lead = await signed_in(tenant, app)
    on_call = await signed_in(tenant, app)
    group = (await tenant.client.post("/api/groups", json={"name": "on-call"}, headers=tenant.admin.headers)).json()
    joined = await tenant.client.post(
        f"/api/groups/{group['id']}/members", json={"user_id": on_call.id}, headers=tenant.admin.headers
    )
    assert joined.status_code == 204, joined.text
    body = _gated(
        [{"type": "user", "value": lead.id}],
        escalate_after_seconds=1,
        escalate_to="group:on-call",
        escalation_replaces=True,
    )
    workflow = await create_workflow(tenant, body)
    [saved] = [s for s in workflow["steps"] if s["id"] == "sign-off"]
    assert saved["config"]["escalate_to"] == f"group:{group['id']}"
    execution = await execute_workflow(tenant.admin, str(workflow["id"]))
    gate = await pending_gate(tenant.admin, execution)

    async def escalated() -> bool:
        return (await _gate(lead, gate["id"]))["escalated_at"] is not None

    await wait_for(escalated, timeout=20)
    assert (await decide(lead, gate["id"], "approve")).status_code == 403
    assert (await decide(on_call, gate["id"], "approve")).status_code == 200
    assert (await wait_until(tenant.admin, execution, {"succeeded", "failed"}))["status"] == "succeeded"


async def test_gate_escalation_settings_are_checked_when_the_workflow_is_saved(tenant: TenantContext) -> None:
    anyone = [{"type": "any"}]
    cases = [
        ({"timeout_seconds": 60, "escalate_after_seconds": 60, "escalate_to": "manager"}, "escalate_after_seconds"),
        ({"escalate_after_seconds": 30, "escalate_to": "group:nobody"}, "escalate_to"),
        ({"escalate_after_seconds": 30, "escalate_to": "the boss"}, "escalate_to"),
        ({"escalate_after_seconds": 30}, "escalate_to"),
        ({"escalate_to": "manager"}, "escalate_to"),
        ({"escalation_replaces": True}, "escalation_replaces"),
        (
            {"escalate_after_seconds": 30, "escalate_to": "fallback", "escalation_replaces": "yes"},
            "escalation_replaces",
        ),
        ({"remind_after_seconds": 0}, "remind_after_seconds"),
    ]
    for config, field in cases:
        response = await tenant.client.post(
            "/api/workflows", json=_gated(anyone, **config), headers=tenant.admin.headers
        )
        assert response.status_code == 422, (config, response.text)
        fields = {e["field"] for e in response.json()["errors"]}
        assert f"steps[0].config.{field}" in fields, (config, fields)
    ok = _gated(anyone, timeout_seconds=60, remind_after_seconds=10, escalate_after_seconds=30, escalate_to="fallback")
    assert (await tenant.client.post("/api/workflows", json=ok, headers=tenant.admin.headers)).status_code == 201


async def test_three_workers_racing_on_the_same_due_gate_escalation_escalate_it_once(
    tenant: TenantContext, app: FastAPI
) -> None:
    boss = await signed_in(tenant, app)
    leads = [await signed_in(tenant, app, manager_id=boss.id) for _ in range(2)]
    approvers = [{"type": "user", "value": lead.id} for lead in leads]
    workflow = await create_workflow(tenant, _gated(approvers, escalate_after_seconds=2, escalate_to="manager"))
    execution = await execute_workflow(tenant.admin, str(workflow["id"]))  # opens the gate: no worker needed
    gate = await pending_gate(tenant.admin, execution)
    jobs = "SELECT count(*) FROM jobs WHERE kind = :kind AND payload->>'gate_id' = :id AND status = 'succeeded'"
    binds = {"kind": "automation.gate_escalate", "key": "gate_id", "id": gate["id"]}
    async with tenant.database.transaction() as session:
        for _ in range(2):  # the same due time three times over
            await session.execute(text(DUPLICATE_JOB), binds)

    async with racing_workers(app, 3):

        async def all_ran() -> bool:
            async with tenant.database.transaction() as session:
                return await session.scalar(text(jobs), binds) == 3

        await wait_for(all_ran, timeout=30)
        await wait_for(lambda: _notices(boss), timeout=15)

    history = (await _gate(boss, gate["id"]))["history"]
    assert [entry["kind"] for entry in history] == ["escalated"]
    async with tenant.database.transaction() as session:
        audited = await session.scalar(
            text(
                "SELECT count(*) FROM audit_events WHERE action = 'automation_approval.escalated' AND object_id = :id"
            ),
            {"id": gate["id"]},
        )
    assert audited == 1
    assert [n["subject"] for n in await _notices(boss)] == ["Approval needed: sign-off (escalated)"], "one notice"


async def test_three_workers_racing_on_the_same_due_gate_reminder_remind_once(
    tenant: TenantContext, app: FastAPI
) -> None:
    lead = await signed_in(tenant, app)
    workflow = await create_workflow(tenant, _gated([{"type": "user", "value": lead.id}], remind_after_seconds=4))
    execution = await execute_workflow(tenant.admin, str(workflow["id"]))  # opens the gate: no worker needed
    gate = await pending_gate(tenant.admin, execution)
    jobs = "SELECT count(*) FROM jobs WHERE kind = :kind AND payload->>'gate_id' = :id AND status = :status"
    binds = {"kind": "automation.gate_remind", "key": "gate_id", "id": gate["id"]}
    async with tenant.database.transaction() as session:
        for _ in range(2):  # the same due time three times over
            await session.execute(text(DUPLICATE_JOB), binds)

    async def count(status: str) -> int:
        async with tenant.database.transaction() as session:
            return int(await session.scalar(text(jobs), {**binds, "status": status}) or 0)

    async with racing_workers(app, 3):

        async def all_ran() -> bool:
            return await count("succeeded") == 3

        await wait_for(all_ran, timeout=30)
        history = (await _gate(lead, gate["id"]))["history"]
        next_ones = await count("queued")
    assert [entry["kind"] for entry in history] == ["reminded"], "one reminder for one due time"
    assert next_ones == 1, "and one next reminder scheduled, not one per duplicate"
