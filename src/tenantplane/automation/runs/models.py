"""ORM models of workflow runs: the engine state of an execution and its approval gates.

An execution's engine state lives in `automation_runs.state` (JSONB), keyed by the execution it belongs to.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenantplane.kit.db import Base, TenantOwned

GATE_STATUSES = ("pending", "approved", "rejected", "timed_out", "cancelled")


class AutomationRun(Base):
    """The pure engine's state of one workflow execution; changed only under the execution's row lock."""

    __tablename__ = "automation_runs"

    execution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # What started it, when a trigger did (`trigger` in its expressions and templates); `{}` otherwise.
    trigger: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")


class ApprovalGate(TenantOwned, Base):
    """One opening of an approval step (per attempt): who may decide, what they approve, the decisions."""

    __tablename__ = "approval_gates"
    __table_args__ = (
        CheckConstraint(f"status IN {GATE_STATUSES}", name="status"),
        UniqueConstraint("execution_id", "step_id", "attempt"),
        Index("ix_approval_gates_tenant_id_status_created_at", "tenant_id", "status", "created_at"),
        # Decisions of the day, counted on every /metrics scrape (metrics/figures.py).
        Index("ix_approval_gates_decided_at", "decided_at", "status", postgresql_where=text("decided_at IS NOT NULL")),
    )

    execution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"))
    step_id: Mapped[str] = mapped_column(String(100))
    attempt: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    message: Mapped[str] = mapped_column(Text, server_default="")
    approvers: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    eligible: Mapped[list[str]] = mapped_column(JSONB)
    min_approvals: Mapped[int]
    subject: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    started_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Who caused the execution when the gate opened ([{user_id, role}], see executions.causes): four-eyes refuses
    # each of them, as themselves or as someone's delegate.
    caused_by: Mapped[list[dict[str, str]]] = mapped_column(JSONB, default=list, server_default="[]")
    # The workflow's opt-out of the four-eyes rule (off by default): whoever caused it may decide too.
    allow_self_approval: Mapped[bool] = mapped_column(server_default=text("false"))
    decisions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    decided_at: Mapped[datetime | None]
    # Why the gate went to other approvers than its step names (its only possible approver was deactivated).
    rerouted: Mapped[str | None] = mapped_column(Text)
    # What happened while it waited, oldest first ({kind: reminded | escalated, at, ...}): the gate's timeline.
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default="[]")
    # When escalate_after_seconds passed and the gate was handed to its escalate_to targets (once per gate).
    escalated_at: Mapped[datetime | None]
