"""ORM models of notifications: channels, one delivery row per destination, and in-app inbox entries.

Channel secrets (SMTP password, credential headers, Apprise URLs) live only encrypted, in `secret_config`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenantplane.kit.db import Base, TenantOwned

CHANNEL_TYPES = ("email", "webhook", "apprise", "in_app", "teams")
DELIVERY_STATUSES = ("queued", "sent", "failed", "dead")


class Channel(TenantOwned, Base):
    """Where notifications go: one configured destination (an SMTP server, a URL, a set of inboxes)."""

    __tablename__ = "notification_channels"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        CheckConstraint(f"type IN {CHANNEL_TYPES}", name="type"),
        # At most one default e-mail channel per tenant: the platform's own e-mails go through it.
        Index("uq_notification_channels_default", "tenant_id", unique=True, postgresql_where=text("is_default")),
    )

    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    config: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    secret_config: Mapped[str | None] = mapped_column(Text)
    is_default: Mapped[bool] = mapped_column(server_default=text("false"))
    max_attempts: Mapped[int] = mapped_column(server_default=text("5"))
    backoff_seconds: Mapped[float] = mapped_column(Float, server_default=text("30"))


class Notification(TenantOwned, Base):
    """One entry of a user's in-app inbox."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_inbox", "tenant_id", "user_id", "created_at", "id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("notification_channels.id", ondelete="SET NULL"), index=True
    )
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    read_at: Mapped[datetime | None]


class Delivery(TenantOwned, Base):
    """One message to one destination through one channel: queued → sent, or failed (retrying) → dead."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        CheckConstraint(f"status IN {DELIVERY_STATUSES}", name="status"),
        Index("ix_notification_deliveries_tenant_id_created_at", "tenant_id", "created_at", "id"),
        # The deliveries not sent, counted on every /metrics scrape (metrics/figures.py); sent ones are most rows.
        Index(
            "ix_notification_deliveries_unsent",
            "channel_type",
            "status",
            postgresql_where=text("status IN ('queued', 'failed', 'dead')"),
        ),
    )

    channel_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("notification_channels.id", ondelete="SET NULL"), index=True
    )
    # Kept so the history still reads after the channel is deleted.
    channel_name: Mapped[str] = mapped_column(String(200))
    channel_type: Mapped[str] = mapped_column(String(16))
    destination: Mapped[str] = mapped_column(Text)
    recipient_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    notification_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("notifications.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), server_default="queued")
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    max_attempts: Mapped[int] = mapped_column(server_default=text("5"))
    last_error: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime | None]
    # Buttons carrying credentials (signed action links), encrypted until sent, then cleared (notifications.actions).
    sealed_actions: Mapped[str | None] = mapped_column(Text)


from tenantplane.notifications.slack import models as _slack_models  # noqa: E402, F401  (Slack app, users, DMs)
