"""Request and response shapes of the notifications API: channels, deliveries, the in-app inbox.

A channel body is `{"name", "type", "config"}` (PRODUCT.md §6); the config is validated per type by the service.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from tenantplane.kit.schemas import InputSchema, ReadSchema
from tenantplane.notifications.links import absolute_link
from tenantplane.notifications.models import Channel, Notification

ChannelType = Literal["email", "webhook", "apprise", "in_app", "teams"]
DeliveryStatus = Literal["queued", "sent", "failed", "dead"]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class RetryPolicy(InputSchema):
    """How a failed delivery is retried: attempts in all, and the first wait (it doubles, with jitter)."""

    max_attempts: int = Field(default=5, ge=1, le=10)
    backoff_seconds: float = Field(default=30.0, ge=0.05, le=3600)


class ChannelWrite(InputSchema):
    """Create or replace a channel. On replace, a secret sent back as `********` (or left out) is kept."""

    name: Name
    type: ChannelType
    config: dict[str, Any] = Field(default_factory=dict)
    default: bool = Field(
        default=False, description="e-mail only: the channel the platform's own e-mails (approvals…) go through"
    )
    retry: RetryPolicy = Field(default_factory=RetryPolicy)


class RetryPolicyRead(ReadSchema):
    max_attempts: int
    backoff_seconds: float


class ChannelRead(ReadSchema):
    id: uuid.UUID
    name: str
    type: str
    config: dict[str, Any] = Field(description="secrets show as ********")
    default: bool
    retry: RetryPolicyRead
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, channel: Channel) -> ChannelRead:
        return cls(
            id=channel.id,
            name=channel.name,
            type=channel.type,
            config=channel.config,
            default=channel.is_default,
            retry=RetryPolicyRead(max_attempts=channel.max_attempts, backoff_seconds=channel.backoff_seconds),
            created_at=channel.created_at,
            updated_at=channel.updated_at,
        )


class DeliveryRead(ReadSchema):
    id: uuid.UUID
    channel_id: uuid.UUID | None
    channel_name: str
    channel_type: str
    destination: str
    recipient_user_id: uuid.UUID | None
    subject: str
    body: str
    link: str | None = Field(description="the web UI path the message points at")
    url: str | None = Field(default=None, description="`link` as sent: absolute, under TENANTPLANE_PUBLIC_URL")
    status: DeliveryStatus
    attempts: int
    max_attempts: int
    last_error: str | None
    job_id: uuid.UUID | None
    next_attempt_at: datetime | None = Field(default=None, description="when a failed delivery is tried again")
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None


class ChannelTestResult(ReadSchema):
    deliveries: list[DeliveryRead]


class NotificationRead(ReadSchema):
    """One entry of the caller's in-app inbox."""

    id: uuid.UUID
    subject: str
    body: str
    link: str | None = Field(description="the web UI path to open (route the app by it)")
    url: str | None = Field(default=None, description="`link` absolute, under TENANTPLANE_PUBLIC_URL (to share)")
    read_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, item: Notification, public_url: str) -> NotificationRead:
        read = cls.model_validate(item)
        read.url = absolute_link(public_url, item.link)
        return read


class ReadAllResult(ReadSchema):
    marked: int
