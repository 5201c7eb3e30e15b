"""ORM models of workflow triggers: the trigger and the due times of a schedule that fired."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenantplane.kit.db import Base, TenantOwned

TRIGGER_KINDS = ("schedule", "webhook", "itsm_event")


class WorkflowTrigger(TenantOwned, Base):
    """One trigger of a workflow; webhooks keep only the sha256 of their secret token."""

    __tablename__ = "workflow_triggers"
    __table_args__ = (
        CheckConstraint(f"kind IN {TRIGGER_KINDS}", name="kind"),
        Index("ix_workflow_triggers_workflow", "tenant_id", "workflow_id", "created_at"),
        Index("uq_workflow_triggers_token_hash", "token_hash", unique=True),
    )

    workflow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(server_default=text("true"))
    config: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    token_hash: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Who created or last changed it: a schedule's runs are theirs, so four-eyes keeps them off its gates.
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_fired_at: Mapped[datetime | None]
    next_fire_at: Mapped[datetime | None]


class TriggerFiring(Base):
    """One due time of a schedule that fired: the unique key that makes a due time fire once."""

    __tablename__ = "workflow_trigger_firings"
    __table_args__ = (UniqueConstraint("trigger_id", "due_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    trigger_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflow_triggers.id", ondelete="CASCADE"))
    due_at: Mapped[datetime]
    execution_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("executions.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())
