"""Carry out the engine's effects in the caller's transaction: approval events, timer and notification jobs, hooks.

Nothing here commits: a rolled-back decision leaves no event, no job and no record update behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.approvers import delegates_of, tenant_admins, users_by_id
from tenantplane.approvals.engine import (
    Effect,
    EscalateStep,
    Finished,
    FlagEmptyApproverSet,
    NotifyApprovers,
    NotifyRequester,
    RemindApprovers,
    ScheduleEscalation,
    ScheduleReminder,
    ScheduleTimeout,
)
from tenantplane.approvals.hooks import run_finished_hooks
from tenantplane.approvals.models import ApprovalEvent, ApprovalInstance
from tenantplane.identity.callers import PrincipalUser
from tenantplane.jobs.queue import enqueue

TIMEOUT_JOB = "approvals.timeout"
REMIND_JOB = "approvals.remind"
ESCALATE_JOB = "approvals.escalate"
NOTIFY_JOB = "approvals.notify"
FINISHED_JOB = "approvals.finished"


def link_to(instance: ApprovalInstance) -> str:
    return f"/approvals/instances/{instance.id}"


async def record_approval_event(
    session: AsyncSession,
    instance: ApprovalInstance,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    actor_id: uuid.UUID | None = None,
) -> None:
    session.add(
        ApprovalEvent(
            tenant_id=instance.tenant_id, instance_id=instance.id, kind=kind, actor_id=actor_id, payload=payload or {}
        )
    )
    await session.flush()


@dataclass(frozen=True)
class Notice:
    """One message to people about an instance: what happened, to whom, and what they are asked to look at."""

    kind: str
    recipients: frozenset[str]
    step_name: str | None = None
    reason: str | None = None
    status: str | None = None


def _subject_line(instance: ApprovalInstance, notice: Notice) -> str:
    what = instance.title or f"{instance.record_type} {instance.record_id}"
    if notice.kind in ("approval_requested", "approval_reminder"):
        prefix = "Reminder: approval" if notice.kind == "approval_reminder" else "Approval"
        return f"{prefix} needed: {what} (step {notice.step_name})"
    if notice.kind == "request_finished":
        return f"Your request {what} was {notice.status}"
    return f"Approval step {notice.step_name} of {what} needs attention: {notice.reason}"


async def _enqueue_notice(session: AsyncSession, instance: ApprovalInstance, notice: Notice) -> None:
    """Record the notice on the timeline and queue its delivery (approvals.notify) when anyone is to hear it."""
    requester = (await users_by_id(session, instance.tenant_id, [str(instance.requester_id)])).get(
        str(instance.requester_id)
    )
    payload = notice_payload(instance, notice, requester)
    await record_approval_event(session, instance, f"notice.{notice.kind}", timeline_view(payload))
    if notice.recipients:
        await enqueue(session, kind=NOTIFY_JOB, payload=payload, tenant_id=instance.tenant_id)


def notice_payload(instance: ApprovalInstance, notice: Notice, requester: PrincipalUser | None) -> dict[str, Any]:
    """What the approvals.notify job sends: the notice, the instance's facts and who asked."""
    return {
        "instance_id": str(instance.id),
        "kind": notice.kind,
        "step_name": notice.step_name,
        "reason": notice.reason,
        "status": notice.status,
        "recipients": sorted(notice.recipients),
        "subject": _subject_line(instance, notice),
        "record_type": instance.record_type,
        "record_id": str(instance.record_id),
        "title": instance.title,
        "variables": instance.variables,
        "requester": {
            "id": str(instance.requester_id),
            "email": requester.email if requester else None,
            "display_name": requester.display_name if requester else None,
        },
        "link": link_to(instance),
    }


def timeline_view(payload: dict[str, Any]) -> dict[str, Any]:
    keys = ("step_name", "reason", "status", "recipients", "subject")
    return {key: payload[key] for key in keys if payload[key] is not None}


async def _approvers_and_delegates(
    session: AsyncSession, instance: ApprovalInstance, ids: Iterable[str]
) -> frozenset[str]:
    approvers = frozenset(ids)
    return approvers | await delegates_of(session, instance.tenant_id, approvers)


async def _schedule(session: AsyncSession, instance: ApprovalInstance, kind: str, step_name: str, seconds: int) -> None:
    payload = {"instance_id": str(instance.id), "step_name": step_name}
    await enqueue(session, kind=kind, payload=payload, tenant_id=instance.tenant_id, delay_seconds=seconds)
    await record_approval_event(session, instance, f"{kind.split('.')[1]}_scheduled", {**payload, "seconds": seconds})


async def carry_out(
    session: AsyncSession, instance: ApprovalInstance, effects: Sequence[Effect], *, run_hooks: bool = True
) -> None:
    """Do what the engine asked, in order; `instance` already holds the new state."""
    for effect in effects:
        match effect:
            case NotifyApprovers(step_name, user_ids) | RemindApprovers(step_name, user_ids):
                kind = "approval_requested" if isinstance(effect, NotifyApprovers) else "approval_reminder"
                recipients = await _approvers_and_delegates(session, instance, user_ids)
                await _enqueue_notice(session, instance, Notice(kind, recipients, step_name=step_name))
            case ScheduleTimeout(step_name, seconds):
                await _schedule(session, instance, TIMEOUT_JOB, step_name, seconds)
            case ScheduleReminder(step_name, seconds):
                await _schedule(session, instance, REMIND_JOB, step_name, seconds)
            case ScheduleEscalation(step_name, seconds):
                await _schedule(session, instance, ESCALATE_JOB, step_name, seconds)
            case FlagEmptyApproverSet(step_name, reason) | EscalateStep(step_name, reason):
                kind = "step_flagged" if isinstance(effect, FlagEmptyApproverSet) else "step_escalated"
                admins = await tenant_admins(session, instance.tenant_id)
                await _enqueue_notice(session, instance, Notice(kind, admins, step_name=step_name, reason=reason))
            case NotifyRequester(status):
                recipients = frozenset({str(instance.requester_id)})
                await _enqueue_notice(session, instance, Notice("request_finished", recipients, status=status))
            case Finished(status):
                await _finish(session, instance, status, run_hooks=run_hooks)


async def _finish(session: AsyncSession, instance: ApprovalInstance, status: str, *, run_hooks: bool) -> None:
    hooks = await run_finished_hooks(session, instance) if run_hooks else 0
    await record_approval_event(session, instance, "finished", {"status": status, "hooks_run": hooks})
    payload = {
        "instance_id": str(instance.id),
        "status": status,
        "record_type": instance.record_type,
        "record_id": str(instance.record_id),
    }
    await enqueue(session, kind=FINISHED_JOB, payload=payload, tenant_id=instance.tenant_id)
