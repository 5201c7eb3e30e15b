"""ORM models of Slack: a tenant's app (token and signing secret only encrypted), whom a Slack user id is, the DMs sent.

A message row is the delivery of one approval notice to one person, with the `channel` and `ts` Slack gave it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenantplane.kit.db import Base, TenantOwned


class SlackApp(TenantOwned, Base):
    """One tenant's Slack app (at most one): the bot token and signing secret, encrypted (purpose "slack")."""

    __tablename__ = "slack_apps"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    enabled: Mapped[bool] = mapped_column(server_default=text("true"))
    bot_token_ciphertext: Mapped[str] = mapped_column(Text)
    signing_secret_ciphertext: Mapped[str] = mapped_column(Text)
    team_id: Mapped[str | None] = mapped_column(String(32))
    team_name: Mapped[str | None] = mapped_column(String(200))


class SlackUser(TenantOwned, Base):
    """Which Slack user one of our users is, found by e-mail (users.lookupByEmail or users.info) and cached."""

    __tablename__ = "slack_users"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"), UniqueConstraint("tenant_id", "slack_user_id"))

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    slack_user_id: Mapped[str] = mapped_column(String(32))


class SlackMessage(TenantOwned, Base):
    """One approval notice as a DM to one person: queued → sent (channel, ts), or failed / dead with the error.

    `subject_type` is `approval_step` (an ITSM approval instance and its `step_name`) or `approval_gate`; `outcome`
    is set once the subject is decided (anywhere), and the message then shows it instead of the buttons.
    """

    __tablename__ = "slack_messages"
    __table_args__ = (Index("ix_slack_messages_subject", "tenant_id", "subject_type", "subject_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[uuid.UUID]
    step_name: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(1000))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(16), server_default="queued")
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    job_id: Mapped[uuid.UUID | None]
    sent_at: Mapped[datetime | None]
