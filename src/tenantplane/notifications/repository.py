"""All notification queries, each starting from a tenant-scoped base statement.

A channel, delivery or inbox entry of another tenant (or another user's inbox) is a NotFound.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.identity.models import Group, GroupMembership, User
from tenantplane.identity.repository import groups_of, users_of
from tenantplane.jobs.models import Job
from tenantplane.kit.errors import NotFound
from tenantplane.kit.pagination import paginate
from tenantplane.notifications.models import Channel, Delivery, Notification

ChannelPage = tuple[Sequence[Channel], str | None]


def channels_of(tenant_id: uuid.UUID) -> Select[tuple[Channel]]:
    return select(Channel).where(Channel.tenant_id == tenant_id)


def deliveries_of(tenant_id: uuid.UUID) -> Select[tuple[Delivery]]:
    return select(Delivery).where(Delivery.tenant_id == tenant_id)


def inbox_of(tenant_id: uuid.UUID, user_id: uuid.UUID) -> Select[tuple[Notification]]:
    return select(Notification).where(Notification.tenant_id == tenant_id, Notification.user_id == user_id)


async def get_channel(session: AsyncSession, tenant_id: uuid.UUID, channel_id: uuid.UUID) -> Channel:
    channel = await session.scalar(channels_of(tenant_id).where(Channel.id == channel_id))
    if channel is None:
        raise NotFound(f"No notification channel {channel_id} in this tenant.")
    return channel


async def find_channel(session: AsyncSession, tenant_id: uuid.UUID, ref: uuid.UUID | str) -> Channel | None:
    """A channel by id, or by name (a string that is not an id of this tenant's channels)."""
    found: Channel | None = None
    try:
        channel_id = ref if isinstance(ref, uuid.UUID) else uuid.UUID(ref)
    except ValueError:
        channel_id = None
    if channel_id is not None:
        found = await session.scalar(channels_of(tenant_id).where(Channel.id == channel_id))
    if found is None and isinstance(ref, str):
        found = await session.scalar(channels_of(tenant_id).where(Channel.name == ref))
    return found


async def default_email_channel(session: AsyncSession, tenant_id: uuid.UUID) -> Channel | None:
    channel: Channel | None = await session.scalar(
        channels_of(tenant_id).where(Channel.is_default.is_(True), Channel.type == "email")
    )
    return channel


async def teams_channels(session: AsyncSession, tenant_id: uuid.UUID) -> list[Channel]:
    """The tenant's Microsoft Teams channels: approval notices with buttons go to each."""
    return list(
        (await session.scalars(channels_of(tenant_id).where(Channel.type == "teams").order_by(Channel.name))).all()
    )


async def list_channels(
    session: AsyncSession, tenant_id: uuid.UUID, *, channel_type: str | None, cursor: str | None, limit: int
) -> ChannelPage:
    stmt = channels_of(tenant_id)
    if channel_type:
        stmt = stmt.where(Channel.type == channel_type)
    return await paginate(session, stmt, created_col=Channel.created_at, id_col=Channel.id, cursor=cursor, limit=limit)


async def get_delivery(session: AsyncSession, tenant_id: uuid.UUID, delivery_id: uuid.UUID) -> Delivery:
    delivery = await session.scalar(deliveries_of(tenant_id).where(Delivery.id == delivery_id))
    if delivery is None:
        raise NotFound(f"No notification delivery {delivery_id} in this tenant.")
    return delivery


async def list_deliveries(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    status: str | None,
    channel_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[Delivery], str | None]:
    stmt = deliveries_of(tenant_id)
    if status:
        stmt = stmt.where(Delivery.status == status)
    if channel_id:
        stmt = stmt.where(Delivery.channel_id == channel_id)
    return await paginate(
        session, stmt, created_col=Delivery.created_at, id_col=Delivery.id, cursor=cursor, limit=limit
    )


async def retry_times(
    session: AsyncSession, tenant_id: uuid.UUID, job_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    """When each of these jobs (waiting to be retried) runs next."""
    if not job_ids:
        return {}
    rows = await session.execute(
        select(Job.id, Job.run_at).where(Job.tenant_id == tenant_id, Job.id.in_(job_ids), Job.status == "failed")
    )
    return {job_id: run_at for job_id, run_at in rows.tuples()}


async def get_inbox_item(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, notification_id: uuid.UUID
) -> Notification:
    item = await session.scalar(inbox_of(tenant_id, user_id).where(Notification.id == notification_id))
    if item is None:
        raise NotFound(f"No notification {notification_id} in your inbox.")
    return item


async def list_inbox(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, *, unread: bool, cursor: str | None, limit: int
) -> tuple[Sequence[Notification], str | None]:
    stmt = inbox_of(tenant_id, user_id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    return await paginate(
        session, stmt, created_col=Notification.created_at, id_col=Notification.id, cursor=cursor, limit=limit
    )


async def active_users(session: AsyncSession, tenant_id: uuid.UUID, user_ids: Collection[uuid.UUID]) -> list[User]:
    """The active users of this tenant among `user_ids`, in a stable order (others are left out)."""
    if not user_ids:
        return []
    stmt = users_of(tenant_id).where(User.id.in_(user_ids), User.is_active.is_(True)).order_by(User.email)
    return list((await session.scalars(stmt)).all())


async def active_members(session: AsyncSession, tenant_id: uuid.UUID, group_ids: Collection[uuid.UUID]) -> list[User]:
    if not group_ids:
        return []
    members = select(GroupMembership.user_id).where(
        GroupMembership.tenant_id == tenant_id, GroupMembership.group_id.in_(group_ids)
    )
    stmt = users_of(tenant_id).where(User.id.in_(members), User.is_active.is_(True)).order_by(User.email)
    return list((await session.scalars(stmt)).all())


async def unknown_users(
    session: AsyncSession, tenant_id: uuid.UUID, user_ids: Collection[uuid.UUID]
) -> list[uuid.UUID]:
    found = set(
        (await session.scalars(users_of(tenant_id).where(User.id.in_(user_ids)).with_only_columns(User.id))).all()
    )
    return [u for u in user_ids if u not in found]


async def unknown_groups(
    session: AsyncSession, tenant_id: uuid.UUID, group_ids: Collection[uuid.UUID]
) -> list[uuid.UUID]:
    stmt = groups_of(tenant_id).where(Group.id.in_(group_ids)).with_only_columns(Group.id)
    found = set((await session.scalars(stmt)).all())
    return [g for g in group_ids if g not in found]
