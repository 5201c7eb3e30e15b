"""Business rules of channels: validate the config per type, check destinations, encrypt secrets, audit.

Services flush and write audit events in the caller's transaction; they never commit.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.identity.auth import Principal
from tenantplane.kit.crypto import SecretUnreadable
from tenantplane.kit.errors import Conflict, ValidationFailed
from tenantplane.notifications import repository as repo
from tenantplane.notifications.channel_config import (
    ChannelConfig,
    InAppConfig,
    keep_unchanged_secrets,
    parse_config,
    seal,
    split_secrets,
    unresolved_mask,
    unseal,
)
from tenantplane.notifications.destinations import Egress
from tenantplane.notifications.models import Channel
from tenantplane.notifications.schemas import ChannelWrite


async def _check_inboxes(session: AsyncSession, tenant_id: uuid.UUID, config: InAppConfig) -> None:
    missing_users = await repo.unknown_users(session, tenant_id, config.users)
    if missing_users:
        raise ValidationFailed.field("config.users", f"no user {missing_users[0]} in this tenant")
    missing_groups = await repo.unknown_groups(session, tenant_id, config.groups)
    if missing_groups:
        raise ValidationFailed.field("config.groups", f"no group {missing_groups[0]} in this tenant")


async def _validated(
    session: AsyncSession, tenant_id: uuid.UUID, data: ChannelWrite, raw: dict[str, Any], egress: Egress
) -> ChannelConfig:
    if data.default and data.type != "email":
        raise ValidationFailed.field("default", "only an e-mail channel can be the default")
    config = parse_config(data.type, raw)
    masked_field = unresolved_mask(config)
    if masked_field:
        raise ValidationFailed.field(masked_field, "the stored secret cannot be read any more; enter it again")
    if isinstance(config, InAppConfig):
        await _check_inboxes(session, tenant_id, config)
    await egress.check(config)
    return config


async def _store(session: AsyncSession, channel: Channel, data: ChannelWrite, config: ChannelConfig, key: str) -> None:
    public, secret = split_secrets(config)
    channel.name, channel.type, channel.config = data.name, data.type, public
    channel.secret_config = seal(key, secret)
    channel.max_attempts, channel.backoff_seconds = data.retry.max_attempts, data.retry.backoff_seconds
    try:
        async with session.begin_nested():
            if data.default:  # the previous default steps down; the partial unique index guards races
                await session.execute(
                    update(Channel)
                    .where(Channel.tenant_id == channel.tenant_id, Channel.id != channel.id, Channel.is_default)
                    .values(is_default=False)
                )
            channel.is_default = data.default
            await session.flush()
    except IntegrityError as exc:
        message = f"A notification channel named '{data.name}' already exists in this tenant."
        raise Conflict(message, errors=[{"field": "name", "message": message}]) from exc


def _summary(channel: Channel) -> dict[str, Any]:
    return {"name": channel.name, "type": channel.type, "default": channel.is_default, "config": channel.config}


async def create_channel(
    session: AsyncSession, *, actor: Principal, data: ChannelWrite, secret_key: str, egress: Egress
) -> Channel:
    config = await _validated(session, actor.tenant, data, data.config, egress)
    channel = Channel(id=uuid.uuid4(), tenant_id=actor.tenant)
    session.add(channel)
    await _store(session, channel, data, config, secret_key)
    await record_event(
        session,
        actor=actor,
        action="notification_channel.created",
        object_type="notification_channel",
        object_id=channel.id,
        summary=_summary(channel),
    )
    return channel


async def update_channel(
    session: AsyncSession, *, actor: Principal, channel: Channel, data: ChannelWrite, secret_key: str, egress: Egress
) -> Channel:
    """Replace the channel; secrets sent back masked keep their stored value when the type stays the same."""
    raw = data.config
    if data.type == channel.type:
        try:
            stored = unseal(secret_key, channel.secret_config)
        except SecretUnreadable:
            stored = {}
        raw = keep_unchanged_secrets(raw, channel.config, stored)
    config = await _validated(session, channel.tenant_id, data, raw, egress)
    await _store(session, channel, data, config, secret_key)
    await record_event(
        session,
        actor=actor,
        action="notification_channel.updated",
        object_type="notification_channel",
        object_id=channel.id,
        summary=_summary(channel),
    )
    return channel


async def delete_channel(session: AsyncSession, *, actor: Principal, channel: Channel) -> None:
    """Delete the channel; its delivery history stays (queued deliveries fail as `dead`: channel deleted)."""
    await session.delete(channel)
    await session.flush()
    await record_event(
        session,
        actor=actor,
        action="notification_channel.deleted",
        object_type="notification_channel",
        object_id=channel.id,
        summary={"name": channel.name, "type": channel.type},
    )
