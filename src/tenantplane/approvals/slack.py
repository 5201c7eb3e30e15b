"""ITSM approval steps in Slack: DMs with Approve / Reject for a step's approvers, and their outcome once decided.

Every transition that decides a step (API, inbox, e-mail link, Slack, a timer, a cancel) updates the step's DMs.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.engine import InstanceState
from tenantplane.approvals.models import ApprovalInstance
from tenantplane.notifications.slack.notices import STEP, Subject, queue_approval_dms, record_outcome

ASKING = ("approval_requested", "approval_reminder")


async def queue_step_dms(
    session: AsyncSession,
    instance_id: uuid.UUID,
    *,
    tenant_id: uuid.UUID,
    kind: str,
    step_name: str | None,
    user_ids: Sequence[uuid.UUID],
    title: str,
    body: str,
    link: str | None,
) -> None:
    """Notices that ask someone to decide a step go to Slack too (when the tenant's app is on)."""
    if kind not in ASKING or step_name is None:
        return
    subject = Subject(STEP, instance_id, step_name)
    await queue_approval_dms(
        session, tenant_id=tenant_id, user_ids=user_ids, subject=subject, title=title, body=body, link=link
    )


async def show_outcome(
    session: AsyncSession,
    instance: ApprovalInstance,
    before: InstanceState,
    after: InstanceState,
    *,
    by: str | None,
    comment: str | None = None,
    actor_id: uuid.UUID | None = None,
) -> None:
    """A step that left `pending` shows its outcome in every DM about it; a decider's own vote on a step still
    pending (a quorum) shows in their DMs; a finished instance (cancelled too) closes every DM left open."""
    tenant_id, old = instance.tenant_id, {step.name: step for step in before.steps}
    for step in after.steps:
        was = old.get(step.name)
        if was is None:
            continue
        subject = Subject(STEP, instance.id, step.name)
        if was.status == "pending" and step.status != "pending":
            outcome = {"status": step.status, "by": by, "comment": comment}
            await record_outcome(session, tenant_id=tenant_id, subject=subject, outcome=outcome)
        elif actor_id is not None and len(step.decisions) > len(was.decisions):
            outcome = {"status": step.decisions[-1].outcome, "by": by, "comment": comment}
            await record_outcome(session, tenant_id=tenant_id, subject=subject, outcome=outcome, user_id=actor_id)
    if before.status == "pending" and after.status != "pending":
        outcome = {"status": after.status, "by": by, "comment": comment}
        await record_outcome(session, tenant_id=tenant_id, subject=Subject(STEP, instance.id), outcome=outcome)
