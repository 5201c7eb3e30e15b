"""ORM models of automation workflows: definitions with immutable versions, run state, approval gates, triggers.

An execution's engine state lives in `automation_runs.state` (JSONB), keyed by the execution it belongs to.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenantplane.kit.db import Base, TenantOwned

GATE_STATUSES = ("pending", "approved", "rejected", "timed_out", "cancelled")
TRIGGER_KINDS = ("schedule", "webhook", "itsm_event")


class Workflow(TenantOwned, Base):
    """A named automation workflow; its graph lives in versions, `version` is the one new executions run."""

    __tablename__ = "workflows"
    __table_args__ = (Index("ix_workflows_tenant_id_created_at", "tenant_id", "created_at", "id"),)

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    version: Mapped[int] = mapped_column(server_default=text("1"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    archived_at: Mapped[datetime | None]


class WorkflowVersion(Base):
    """One immutable version of a workflow: inputs schema, steps and edges as saved."""

    __tablename__ = "workflow_versions"
    __table_args__ = (UniqueConstraint("workflow_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    workflow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    version: Mapped[int]
    definition: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())


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
