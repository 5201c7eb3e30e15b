"""Durable approval timers and notices, run by the in-process worker.

Each on_timeout, repeating reminders, stale timers, and handing notices to the notifications domain.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from sqlalchemy import text

from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import Actor, TenantContext
from tests.api.sweep_approvals import INSTANCES, create_definition, decide, several, start_instance, step

WAIT_SECONDS = 15.0


async def _eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


async def _instance(actor: Actor, instance_id: str) -> dict[str, Any]:
    body: dict[str, Any] = (await actor.tenant.client.get(f"{INSTANCES}/{instance_id}", headers=actor.headers)).json()
    return body


async def _events(actor: Actor, instance_id: str) -> list[dict[str, Any]]:
    response = await actor.tenant.client.get(f"{INSTANCES}/{instance_id}/events", headers=actor.headers)
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _job_statuses(t: TenantContext, kind: str, instance_id: str) -> list[str]:
    async with t.database.transaction() as session:
        rows = await session.scalars(
            text("SELECT status FROM jobs WHERE kind = :kind AND payload->>'instance_id' = :id"),
            {"kind": kind, "id": instance_id},
        )
        return list(rows.all())


async def test_a_timed_out_step_set_to_reject_rejects_the_instance(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner
) -> None:
    approver, requester = await several(tenant, app, 2)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id, timeout=1, on_timeout="reject"))
    instance = await start_instance(requester, definition["id"])

    async def rejected() -> bool:
        return (await _instance(requester, instance["id"]))["status"] == "rejected"

    await _eventually(rejected, "the timeout to reject")
    lead = (await _instance(requester, instance["id"]))["step_results"][0]
    assert (lead["status"], lead["reason"], lead["decisions"]) == ("rejected", "timed out", [])
    assert (await decide(approver, instance["id"])).status_code == 409


async def test_a_timed_out_optional_step_set_to_skip_moves_on(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner
) -> None:
    advisor, lead, requester = await several(tenant, app, 3)
    definition = await create_definition(
        tenant,
        step("advice", 1, "user", advisor.id, required=False, timeout=1, on_timeout="skip"),
        step("lead", 2, "user", lead.id),
    )
    instance = await start_instance(requester, definition["id"])

    async def moved_on() -> bool:
        return (await _instance(requester, instance["id"]))["current_step"] == 2

    await _eventually(moved_on, "the optional step to be skipped")
    advice = (await _instance(requester, instance["id"]))["step_results"][0]
    assert (advice["status"], advice["reason"]) == ("skipped", "timed out")


async def test_a_timed_out_step_set_to_escalate_tells_the_admins_and_keeps_waiting(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner
) -> None:
    approver, requester = await several(tenant, app, 2)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id, timeout=1, on_timeout="escalate"))
    instance = await start_instance(requester, definition["id"])

    async def escalated() -> bool:
        return any(e["kind"] == "notice.step_escalated" for e in await _events(requester, instance["id"]))

    await _eventually(escalated, "the escalation notice")
    still = await _instance(requester, instance["id"])
    assert (still["status"], still["step_results"][0]["status"]) == ("pending", "pending")
    notice = next(e for e in await _events(requester, instance["id"]) if e["kind"] == "notice.step_escalated")
    assert notice["payload"]["recipients"] == [tenant.admin.id]
    assert (await decide(approver, instance["id"])).json()["status"] == "approved", "escalation keeps it decidable"


async def test_reminders_repeat_while_undecided_and_a_late_timeout_changes_nothing(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner
) -> None:
    approver, requester = await several(tenant, app, 2)
    definition = await create_definition(
        tenant, step("lead", 1, "user", approver.id, remind_after=1, timeout=2, on_timeout="reject")
    )
    instance = await start_instance(requester, definition["id"])

    async def reminded() -> bool:
        return any(e["kind"] == "notice.approval_reminder" for e in await _events(requester, instance["id"]))

    await _eventually(reminded, "a reminder")
    assert (await decide(approver, instance["id"])).json()["status"] == "approved"

    async def timers_done() -> bool:
        statuses = await _job_statuses(tenant, "approvals.timeout", instance["id"])
        return statuses == ["succeeded"]

    await _eventually(timers_done, "the late timeout job to run")
    assert (await _instance(requester, instance["id"]))["status"] == "approved"
    reminder = next(e for e in await _events(requester, instance["id"]) if e["kind"] == "notice.approval_reminder")
    assert reminder["payload"]["recipients"] == [approver.id]


async def test_approvers_get_an_inbox_notice_with_what_is_being_approved(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner
) -> None:
    approver, requester = await several(tenant, app, 2)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    instance = await start_instance(requester, definition["id"], {"item": "Laptop", "cost": 1800})

    async def delivered() -> list[dict[str, Any]]:
        inbox = await approver.tenant.client.get("/api/notifications", headers=approver.headers)
        items: list[dict[str, Any]] = inbox.json()["items"]
        return items

    await _eventually(delivered, "the approver's notice")
    [message] = await delivered()
    assert message["link"] == f"/approvals/instances/{instance['id']}"
    assert message["subject"].startswith("Approval needed: test.record")
    assert "item: Laptop" in message["body"]
    assert "cost: 1800" in message["body"]
    assert requester.email in message["body"]
    others = await requester.tenant.client.get("/api/notifications", headers=requester.headers)
    assert others.json()["items"] == [], "only the approver is asked"
