"""Job handlers of approvals: due timeouts, reminders and escalations, notices to people, finished-instance follow-ups.

Each handler locks what it changes inside `ctx.transaction()`; a late or stale timer is a no-op in the engine.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from tenantplane.approvals import repository as repo
from tenantplane.approvals import service
from tenantplane.approvals.action_links import issue_step_links
from tenantplane.approvals.effects import ESCALATE_JOB, FINISHED_JOB, NOTIFY_JOB, REMIND_JOB, TIMEOUT_JOB
from tenantplane.approvals.escalation import escalate_step
from tenantplane.approvals.hooks import run_after_finished_hooks
from tenantplane.approvals.slack import queue_step_dms
from tenantplane.jobs.registry import JobContext, PermanentFailure, job_handler
from tenantplane.kit.errors import NotFound
from tenantplane.notifications.actions import Action
from tenantplane.notifications.service import notify_users

log = structlog.get_logger("tenantplane.approvals")


def _target(ctx: JobContext) -> tuple[uuid.UUID, uuid.UUID]:
    if ctx.tenant_id is None or "instance_id" not in ctx.payload:
        raise PermanentFailure("an approvals job needs a tenant and an instance_id")
    return ctx.tenant_id, uuid.UUID(ctx.payload["instance_id"])


async def _apply_timer(ctx: JobContext, timer: service.Timer) -> None:
    tenant_id, instance_id = _target(ctx)
    try:
        async with ctx.transaction() as session:
            changed = await service.apply_timer(
                session, tenant_id=tenant_id, instance_id=instance_id, step_name=ctx.payload["step_name"], timer=timer
            )
    except NotFound:
        changed = False  # the instance (or its tenant) was deleted meanwhile: nothing left to time out
    log.info("approval timer", timer=timer, instance=str(instance_id), changed=changed)


@job_handler(TIMEOUT_JOB)
async def time_out_step(ctx: JobContext) -> None:
    await _apply_timer(ctx, "timeout")


@job_handler(REMIND_JOB)
async def remind_approvers(ctx: JobContext) -> None:
    await _apply_timer(ctx, "reminder")


@job_handler(ESCALATE_JOB)
async def escalate_approval_step(ctx: JobContext) -> None:
    tenant_id, instance_id = _target(ctx)
    try:
        async with ctx.transaction() as session:
            changed = await escalate_step(
                session, tenant_id=tenant_id, instance_id=instance_id, step_name=ctx.payload["step_name"]
            )
    except NotFound:
        changed = False  # the instance (or its tenant) was deleted meanwhile
    log.info("approval escalation", instance=str(instance_id), changed=changed)


Notify = Callable[..., Awaitable[Any]]
ASKS_FOR_A_DECISION = ("approval_requested", "approval_reminder")


def message_body(payload: dict[str, Any]) -> str:
    """Plain text of a notice: what is being approved, by whom it was requested, and its variables (each channel
    adds the link itself, absolute)."""
    requester = payload.get("requester") or {}
    lines = [payload["subject"], ""]
    lines.append(f"Record: {payload.get('title') or ''} ({payload['record_type']} {payload['record_id']})".strip())
    lines.append(f"Requested by: {requester.get('display_name') or ''} <{requester.get('email') or ''}>")
    if payload.get("reason"):
        lines.append(f"Reason: {payload['reason']}")
    for name, value in (payload.get("variables") or {}).items():
        lines.append(f"  {name}: {value}")
    return "\n".join(lines)


@job_handler(NOTIFY_JOB)
async def deliver_notice(ctx: JobContext) -> None:
    """Hand the notice to the notifications domain: the in-app inbox, e-mail when the tenant has a default e-mail
    channel (a notice asking for a decision carries each approver's signed approve / reject links), and a Slack DM
    with Approve / Reject when it asks to decide and the tenant has a Slack app."""
    tenant_id, instance_id = _target(ctx)
    recipients = [uuid.UUID(u) for u in ctx.payload["recipients"]]
    async with ctx.transaction() as session:
        try:
            instance = await repo.get_instance(session, tenant_id, instance_id)
        except NotFound:
            return
        actions: dict[uuid.UUID, list[Action]] = {}
        if ctx.payload["kind"] in ASKS_FOR_A_DECISION and ctx.payload.get("step_name"):
            actions = await issue_step_links(session, instance, ctx.payload["step_name"], recipients)
        subject, body, link = ctx.payload["subject"], message_body(ctx.payload), ctx.payload["link"]
        await notify_users(
            session, tenant_id=tenant_id, user_ids=recipients, subject=subject, body=body, link=link, actions=actions
        )
        await queue_step_dms(
            session,
            instance_id,
            tenant_id=tenant_id,
            kind=ctx.payload["kind"],
            step_name=ctx.payload.get("step_name"),
            user_ids=recipients,
            title=subject,
            body=body,
            link=link,
        )


@job_handler(FINISHED_JOB)
async def follow_up_finished(ctx: JobContext) -> None:
    """Run the `after_instance_finished` hooks of the record type (none registered: nothing to do)."""
    tenant_id, instance_id = _target(ctx)
    async with ctx.transaction() as session:
        try:
            instance = await repo.get_instance(session, tenant_id, instance_id)
        except NotFound:
            return
        await run_after_finished_hooks(session, instance)
