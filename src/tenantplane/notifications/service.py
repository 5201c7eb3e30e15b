"""Sending notifications: `notify` (a channel, templated) and `notify_users` (the platform's own), plus the inbox.

Both work in the caller's transaction: deliveries, inbox entries and their jobs exist only if the caller commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.identity.auth import Principal
from tenantplane.identity.models import User
from tenantplane.jobs.queue import enqueue
from tenantplane.kit.errors import Conflict, ValidationFailed
from tenantplane.notifications import repository as repo
from tenantplane.notifications.actions import Action, seal_actions
from tenantplane.notifications.links import absolute_link, process_public_url, process_settings
from tenantplane.notifications.models import Channel, Delivery, Notification
from tenantplane.notifications.templates import MAX_BODY, TemplateFailed, plain_subject, render_message

DELIVER = "notifications.deliver"
log = structlog.get_logger("tenantplane.notifications")
ChannelRef = uuid.UUID | str | Channel


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    link: str | None = None


@dataclass(frozen=True)
class Destination:
    """Where one delivery goes: an address (e-mail, URL, user) and the user it is for, if any."""

    address: str
    user: User | None = None
    actions: tuple[Action, ...] = ()


async def notify(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    channel: ChannelRef,
    subject: str,
    body: str,
    context: Mapping[str, Any] | None = None,
    recipients: Sequence[uuid.UUID] | None = None,
    link: str | None = None,
) -> list[Delivery]:
    """Render `subject`/`body` (sandboxed Jinja2 templates over `context`) and deliver them through `channel`.

    `channel` is an id, a name or a Channel of this tenant (else a 422 naming `channel`). `recipients` are user
    ids: for e-mail their addresses, for in-app their inboxes; None means the channel's own (`to`, users/groups).
    One delivery row per destination; e-mail, webhook and Apprise deliveries are jobs with retries, in-app ones
    are written at once. A template that fails to render records `dead` deliveries instead of raising, so the
    caller's own change still commits and the failure is visible in GET /api/notifications/deliveries.

    `link` is a UI path (stored so; each channel sends it absolute); templates see it absolute as `{{ link }}`.
    """
    found = await resolve_channel(session, tenant_id, channel)
    destinations = await _destinations(session, found, recipients)
    values = dict(context or {})
    if link is not None:
        values["link"] = absolute_link(process_public_url(), link)
    else:
        values.setdefault("link", "")  # `{{ link }}` in a message sent without one renders as nothing
    try:
        message = Message(*await render_message(subject, body, values), link)
    except TemplateFailed as exc:
        log.warning("notification template failed", channel=str(found.id), error=str(exc))
        unrendered = Message(plain_subject(subject), body[:MAX_BODY], link)
        return await _deliver(session, found, destinations, unrendered, failure=f"template error: {exc}")
    return await _deliver(session, found, destinations, message)


async def notify_users(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    user_ids: Sequence[uuid.UUID],
    subject: str,
    body: str,
    link: str | None = None,
    actions: Mapping[uuid.UUID, Sequence[Action]] | None = None,
) -> list[Notification]:
    """The platform's own notice to users (approvers, requesters): an inbox entry each, plus an e-mail each
    through the tenant's default e-mail channel when it has one, to those whose preferences keep e-mail on. Plain
    text, no templates; inactive users and ids of other tenants are left out. Returns the inbox entries.

    `actions`: each user's own buttons (signed approve / reject links), sent with their e-mail only (the inbox
    entry keeps its UI link); sealed in the delivery row until sent.
    """
    users = await repo.active_users(session, tenant_id, set(user_ids))
    message = Message(plain_subject(subject), body[:MAX_BODY], link)
    items = [_inbox_entry(tenant_id, user, None, message) for user in users]
    session.add_all(items)
    await session.flush()
    mine = actions or {}
    by_email = [u for u in users if u.notify_email]  # the user's preference: the inbox entry stays either way
    default = await repo.default_email_channel(session, tenant_id) if by_email else None
    if default is not None:
        await _deliver(
            session, default, [Destination(u.email, u, tuple(mine.get(u.id, ()))) for u in by_email], message
        )
    # A notice asking for a decision also goes to Teams: one card per approver, with their own buttons.
    asked = [Destination(u.email, u, tuple(mine[u.id])) for u in users if mine.get(u.id)]
    if asked:
        for teams in await repo.teams_channels(session, tenant_id):
            await _deliver(session, teams, asked, message)
    return items


async def resolve_channel(session: AsyncSession, tenant_id: uuid.UUID, channel: ChannelRef) -> Channel:
    """The channel an id, a name or a Channel stands for in this tenant; a 422 naming `channel` otherwise."""
    if isinstance(channel, Channel):
        if channel.tenant_id != tenant_id:
            raise ValidationFailed.field("channel", f"no notification channel {channel.id} in this tenant")
        return channel
    found = await repo.find_channel(session, tenant_id, channel)
    if found is None:
        raise ValidationFailed.field("channel", f"no notification channel '{channel}' in this tenant")
    return found


async def _destinations(
    session: AsyncSession, channel: Channel, recipients: Sequence[uuid.UUID] | None
) -> list[Destination]:
    config = channel.config
    if channel.type in ("webhook", "apprise", "teams"):
        return [Destination(str(config.get("url", "")))]
    if recipients is not None:
        users = await repo.active_users(session, channel.tenant_id, set(recipients))
        return [Destination(u.email if channel.type == "email" else str(u.id), u) for u in users]
    if channel.type == "email":
        return [Destination(address) for address in config.get("to", [])]
    users = await repo.active_users(session, channel.tenant_id, {uuid.UUID(u) for u in config.get("users", [])})
    members = await repo.active_members(session, channel.tenant_id, {uuid.UUID(g) for g in config.get("groups", [])})
    unique = {u.id: u for u in [*users, *members]}
    return [Destination(str(u.id), u) for u in unique.values()]


def _inbox_entry(tenant_id: uuid.UUID, user: User, channel: Channel | None, message: Message) -> Notification:
    return Notification(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        user_id=user.id,
        channel_id=channel.id if channel else None,
        subject=message.subject,
        body=message.body,
        link=message.link,
    )


async def _deliver(
    session: AsyncSession,
    channel: Channel,
    destinations: list[Destination],
    message: Message,
    *,
    failure: str | None = None,
) -> list[Delivery]:
    """One delivery per destination: in-app written now, others queued as jobs; `failure` records them dead."""
    if not destinations:
        destinations, failure = [Destination("(nobody)")], failure or "no recipients: none given, none configured"
    deliveries = []
    for destination in destinations:
        delivery = Delivery(
            id=uuid.uuid4(),
            tenant_id=channel.tenant_id,
            channel_id=channel.id,
            channel_name=channel.name,
            channel_type=channel.type,
            destination=destination.address,
            recipient_user_id=destination.user.id if destination.user else None,
            subject=message.subject,
            body=message.body,
            link=message.link,
            status="dead" if failure else "queued",
            attempts=0,
            max_attempts=channel.max_attempts,
            last_error=failure,
            sealed_actions=(
                seal_actions(process_settings().resolved_secret_key, destination.actions)
                if destination.actions
                else None
            ),
        )
        if failure is None and channel.type == "in_app" and destination.user is not None:
            item = _inbox_entry(channel.tenant_id, destination.user, channel, message)
            session.add(item)
            delivery.notification_id, delivery.status, delivery.attempts = item.id, "sent", 1
            delivery.sent_at = datetime.now(UTC)
        elif failure is None:
            delivery.job_id = await _queue(session, channel, delivery.id)
        deliveries.append(delivery)
    await session.flush()  # inbox entries first: deliveries point at them
    session.add_all(deliveries)
    await session.flush()
    return deliveries


async def _queue(session: AsyncSession, channel: Channel, delivery_id: uuid.UUID) -> uuid.UUID:
    job_id = await enqueue(
        session,
        kind=DELIVER,
        payload={"delivery_id": str(delivery_id)},
        tenant_id=channel.tenant_id,
        max_attempts=channel.max_attempts,
        backoff_seconds=channel.backoff_seconds,
    )
    return job_id


async def retry_delivery(session: AsyncSession, *, actor: Principal, delivery: Delivery) -> Delivery:
    """Send a dead delivery again with a fresh set of attempts (after fixing the channel, say)."""
    if delivery.status != "dead":
        raise Conflict(f"Only dead deliveries can be retried; this one is {delivery.status}.")
    if delivery.job_id is None:
        raise Conflict(f"This delivery never reached the queue ({delivery.last_error}); fix that and send again.")
    if delivery.channel_id is None:
        raise Conflict("The channel of this delivery was deleted; it cannot be retried.")
    channel = await repo.get_channel(session, delivery.tenant_id, delivery.channel_id)
    delivery.job_id = await _queue(session, channel, delivery.id)
    delivery.status, delivery.max_attempts = "queued", delivery.attempts + channel.max_attempts  # last error stays
    await session.flush()
    await record_event(
        session,
        actor=actor,
        action="notification_delivery.retried",
        object_type="notification_delivery",
        object_id=delivery.id,
        summary={"channel": delivery.channel_name, "destination": delivery.destination},
    )
    return delivery


async def mark_read(session: AsyncSession, *, actor: Principal, notification_id: uuid.UUID) -> Notification:
    """Mark one entry of the caller's own inbox read (another user's entry is a 404)."""
    item = await repo.get_inbox_item(session, actor.tenant, actor.id, notification_id)
    if item.read_at is None:
        item.read_at = datetime.now(UTC)
        await session.flush()
    await record_event(
        session, actor=actor, action="notification.read", object_type="notification", object_id=item.id, summary={}
    )
    return item


async def mark_all_read(session: AsyncSession, *, actor: Principal) -> int:
    result = await session.execute(
        update(Notification)
        .where(
            Notification.tenant_id == actor.tenant,
            Notification.user_id == actor.id,
            Notification.read_at.is_(None),
        )
        .values(read_at=datetime.now(UTC))
    )
    marked = int(result.rowcount)  # type: ignore[attr-defined]
    await record_event(
        session,
        actor=actor,
        action="notification.read_all",
        object_type="notification",
        object_id=None,
        summary={"marked": marked},
    )
    return marked
