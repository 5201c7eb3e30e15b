"""HTTP API of notifications: channel CRUD and "send test", the delivery log, and each user's in-app inbox.

Channels and deliveries need the channels.manage permission; every signed-in user reads their own inbox.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from tenantplane.audit.service import record_event
from tenantplane.identity import repository as identity_repo
from tenantplane.identity.auth import CurrentUser, Principal, require
from tenantplane.identity.permissions import Permission
from tenantplane.kit.db import SessionDep
from tenantplane.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from tenantplane.kit.schemas import Page
from tenantplane.notifications import channels, service
from tenantplane.notifications import repository as repo
from tenantplane.notifications.destinations import Egress
from tenantplane.notifications.links import absolute_link
from tenantplane.notifications.models import Delivery
from tenantplane.notifications.schemas import (
    ChannelRead,
    ChannelTestResult,
    ChannelType,
    ChannelWrite,
    DeliveryRead,
    DeliveryStatus,
    NotificationRead,
    ReadAllResult,
)
from tenantplane.settings import Settings

router = APIRouter(tags=["notifications"])
ChannelAdmin = Annotated[Principal, Depends(require(Permission.CHANNELS_MANAGE))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
TEST_SUBJECT = "Test notification from Tenant Plane"
TEST_BODY = "This is a test of the notification channel '{{ channel }}', sent by {{ sender }}."


async def _keys(request: Request, session: SessionDep, principal: ChannelAdmin) -> tuple[str, Egress]:
    """The instance secret (encrypts channel secrets) and this tenant's egress rules."""
    settings: Settings = request.app.state.settings
    tenant = await identity_repo.get_tenant(session, principal.tenant)
    return settings.resolved_secret_key, Egress.of(settings, tenant.egress_allow_list)


Keys = Annotated[tuple[str, Egress], Depends(_keys)]


@router.get("/api/notifications/channels", response_model=Page[ChannelRead])
async def list_channels(
    principal: ChannelAdmin,
    session: SessionDep,
    type: ChannelType | None = None,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[ChannelRead]:
    rows, next_cursor = await repo.list_channels(
        session, principal.tenant, channel_type=type, cursor=cursor, limit=limit
    )
    return Page(items=[ChannelRead.of(r) for r in rows], next_cursor=next_cursor)


@router.post("/api/notifications/channels", response_model=ChannelRead, status_code=201)
async def create_channel(body: ChannelWrite, principal: ChannelAdmin, session: SessionDep, keys: Keys) -> ChannelRead:
    secret_key, egress = keys
    channel = await channels.create_channel(session, actor=principal, data=body, secret_key=secret_key, egress=egress)
    return ChannelRead.of(channel)


@router.get("/api/notifications/channels/{channel_id}", response_model=ChannelRead)
async def read_channel(channel_id: uuid.UUID, principal: ChannelAdmin, session: SessionDep) -> ChannelRead:
    return ChannelRead.of(await repo.get_channel(session, principal.tenant, channel_id))


@router.put("/api/notifications/channels/{channel_id}", response_model=ChannelRead)
async def replace_channel(
    channel_id: uuid.UUID, body: ChannelWrite, principal: ChannelAdmin, session: SessionDep, keys: Keys
) -> ChannelRead:
    """Replace the channel. Secrets sent back as `********` (or left out) keep their stored value."""
    channel = await repo.get_channel(session, principal.tenant, channel_id)
    secret_key, egress = keys
    updated = await channels.update_channel(
        session, actor=principal, channel=channel, data=body, secret_key=secret_key, egress=egress
    )
    return ChannelRead.of(updated)


@router.delete("/api/notifications/channels/{channel_id}", status_code=204)
async def delete_channel(channel_id: uuid.UUID, principal: ChannelAdmin, session: SessionDep) -> Response:
    channel = await repo.get_channel(session, principal.tenant, channel_id)
    await channels.delete_channel(session, actor=principal, channel=channel)
    return Response(status_code=204)


@router.post("/api/notifications/channels/{channel_id}/test", response_model=ChannelTestResult, status_code=202)
async def test_channel(
    channel_id: uuid.UUID, principal: ChannelAdmin, session: SessionDep, public_url: PublicUrl
) -> ChannelTestResult:
    """Send a test message through the normal delivery path; an e-mail channel without `to` mails the caller."""
    channel = await repo.get_channel(session, principal.tenant, channel_id)
    recipients = [principal.id] if channel.type == "email" and not channel.config.get("to") else None
    deliveries = await service.notify(
        session,
        tenant_id=principal.tenant,
        channel=channel,
        subject=TEST_SUBJECT,
        body=TEST_BODY,
        context={"channel": channel.name, "sender": principal.label},
        recipients=recipients,
    )
    await record_event(
        session,
        actor=principal,
        action="notification_channel.tested",
        object_type="notification_channel",
        object_id=channel.id,
        summary={"name": channel.name, "deliveries": len(deliveries)},
    )
    return ChannelTestResult(deliveries=await _delivery_reads(session, principal.tenant, deliveries, public_url))


def _public_url(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return settings.resolved_public_url


PublicUrl = Annotated[str, Depends(_public_url)]


async def _delivery_reads(
    session: SessionDep, tenant_id: uuid.UUID, rows: Sequence[Delivery], public_url: str
) -> list[DeliveryRead]:
    waiting = {r.job_id for r in rows if r.status == "failed" and r.job_id is not None}
    retry_at = await repo.retry_times(session, tenant_id, waiting)
    reads = []
    for row in rows:
        read = DeliveryRead.model_validate(row)
        read.next_attempt_at = retry_at.get(row.job_id) if row.job_id else None
        read.url = absolute_link(public_url, row.link)
        reads.append(read)
    return reads


@router.get("/api/notifications/deliveries", response_model=Page[DeliveryRead])
async def list_deliveries(
    principal: ChannelAdmin,
    session: SessionDep,
    public_url: PublicUrl,
    status: DeliveryStatus | None = None,
    channel_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[DeliveryRead]:
    """Every delivery, newest first: failures stay visible with their attempts and last error."""
    rows, next_cursor = await repo.list_deliveries(
        session, principal.tenant, status=status, channel_id=channel_id, cursor=cursor, limit=limit
    )
    return Page(items=await _delivery_reads(session, principal.tenant, rows, public_url), next_cursor=next_cursor)


@router.post("/api/notifications/deliveries/{delivery_id}/retry", response_model=DeliveryRead)
async def retry_delivery(
    delivery_id: uuid.UUID, principal: ChannelAdmin, session: SessionDep, public_url: PublicUrl
) -> DeliveryRead:
    """Send a dead delivery again with the channel's current config and a fresh set of attempts."""
    delivery = await repo.get_delivery(session, principal.tenant, delivery_id)
    await service.retry_delivery(session, actor=principal, delivery=delivery)
    return (await _delivery_reads(session, principal.tenant, [delivery], public_url))[0]


@router.get("/api/notifications", response_model=Page[NotificationRead])
async def list_inbox(
    principal: CurrentUser,
    session: SessionDep,
    public_url: PublicUrl,
    unread: bool = False,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[NotificationRead]:
    """The caller's own in-app notifications, newest first (`unread=true` for the unread ones only); `link` is the
    UI path, `url` the same link absolute."""
    rows, next_cursor = await repo.list_inbox(
        session, principal.tenant, principal.id, unread=unread, cursor=cursor, limit=limit
    )
    return Page(items=[NotificationRead.of(r, public_url) for r in rows], next_cursor=next_cursor)


@router.post("/api/notifications/read-all", response_model=ReadAllResult)
async def read_all(principal: CurrentUser, session: SessionDep) -> ReadAllResult:
    return ReadAllResult(marked=await service.mark_all_read(session, actor=principal))


@router.post("/api/notifications/{notification_id}/read", response_model=NotificationRead)
async def read_one(
    notification_id: uuid.UUID, principal: CurrentUser, session: SessionDep, public_url: PublicUrl
) -> NotificationRead:
    item = await service.mark_read(session, actor=principal, notification_id=notification_id)
    return NotificationRead.of(item, public_url)


from tenantplane.notifications.slack.endpoints import router as _slack_router  # noqa: E402  (Slack app, interactivity)

router.include_router(_slack_router)
