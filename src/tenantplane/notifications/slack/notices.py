"""Queue approval notices as Slack DMs (one message row and one `slack.post` job each) and record their outcome.

Called by approvals and automation in their own transaction: a rolled-back notice or decision queues nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.jobs.queue import enqueue
from tenantplane.notifications import repository as repo
from tenantplane.notifications.slack.models import SlackMessage
from tenantplane.notifications.slack.repository import find_app, messages_of

POST_JOB = "slack.post"
UPDATE_JOB = "slack.update"
STEP, GATE = "approval_step", "approval_gate"


@dataclass(frozen=True)
class Subject:
    """What a notice asks to decide: an ITSM approval instance's step, or an automation gate."""

    type: str
    id: uuid.UUID
    step_name: str | None = None


async def queue_approval_dms(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    user_ids: Sequence[uuid.UUID],
    subject: Subject,
    title: str,
    body: str,
    link: str | None,
) -> list[SlackMessage]:
    """A DM with Approve / Reject for each active user who wants Slack notices, when the tenant's app is on."""
    app = await find_app(session, tenant_id)
    if app is None or not app.enabled:
        return []
    users = [u for u in await repo.active_users(session, tenant_id, set(user_ids)) if u.notify_slack]
    messages = [
        SlackMessage(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            user_id=user.id,
            subject_type=subject.type,
            subject_id=subject.id,
            step_name=subject.step_name,
            title=title[:1000],
            body=body[:20_000],
            link=link,
            status="queued",
        )
        for user in users
    ]
    for message in messages:
        message.job_id = await enqueue(
            session, kind=POST_JOB, payload={"message_id": str(message.id)}, tenant_id=tenant_id
        )
    session.add_all(messages)
    await session.flush()
    return messages


async def record_outcome(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    subject: Subject,
    outcome: dict[str, Any],
    user_id: uuid.UUID | None = None,
) -> int:
    """The subject was decided (anywhere): its open messages (of `subject.step_name` when given, of `user_id` only
    when given) show `outcome`; each one already in Slack gets a `slack.update` job. Returns how many changed."""
    stmt = messages_of(tenant_id).where(
        SlackMessage.subject_type == subject.type,
        SlackMessage.subject_id == subject.id,
        SlackMessage.outcome.is_(None),
    )
    if subject.step_name is not None:
        stmt = stmt.where(SlackMessage.step_name == subject.step_name)
    if user_id is not None:
        stmt = stmt.where(SlackMessage.user_id == user_id)
    messages = list((await session.scalars(stmt.with_for_update())).all())
    for message in messages:
        message.outcome = outcome
        if message.ts is not None:  # not yet sent: the post job sends the outcome, or queues the update itself
            await queue_update(session, message)
    await session.flush()
    return len(messages)


async def queue_update(session: AsyncSession, message: SlackMessage) -> None:
    payload = {"message_id": str(message.id)}
    await enqueue(session, kind=UPDATE_JOB, payload=payload, tenant_id=message.tenant_id)
