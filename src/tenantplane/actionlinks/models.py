"""ORM model of action links: one row per (subject, person, decision), found by the sha256 of its token.

The raw token is never stored: only its hash, so a copy of the database decides nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tenantplane.kit.db import Base, TenantOwned

SUBJECT_TYPES = ("approval_step", "gate")
DECISIONS = ("approved", "rejected")


class ActionLink(TenantOwned, Base):
    """A link that lets one person approve or reject one ITSM step (instance + step) or automation gate."""

    __tablename__ = "action_links"
    __table_args__ = (
        CheckConstraint(f"subject_type IN {SUBJECT_TYPES}", name="subject_type"),
        CheckConstraint(f"decision IN {DECISIONS}", name="decision"),
        Index("ix_action_links_subject", "tenant_id", "subject_type", "subject_id", "user_id"),
    )

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[uuid.UUID]
    step_name: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    decision: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
