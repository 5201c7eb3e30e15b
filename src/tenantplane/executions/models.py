"""Execution tables: one row per run (runbook or automation workflow), its step runs and live log chunks.

Statuses are the full lists of PRODUCT.md §6, so automation workflows share these tables unchanged.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenantplane.executions.causes import CAUSE_KINDS
from tenantplane.kit.db import Base, TenantOwned

ExecutionKind = Literal["runbook", "workflow"]
ExecutionStatus = Literal["queued", "running", "waiting", "succeeded", "failed", "rejected", "cancelled", "timed_out"]
EXECUTION_KINDS: tuple[str, ...] = get_args(ExecutionKind)
EXECUTION_STATUSES: tuple[str, ...] = get_args(ExecutionStatus)
# The origin type of the runbook executions a workflow's runbook steps start (their step run is the origin id).
WORKFLOW_STEP_ORIGIN = "workflow_step"
FINISHED_STATUSES = frozenset({"succeeded", "failed", "rejected", "cancelled", "timed_out"})
STEP_STATUSES = (
    "pending",
    "running",
    "waiting",
    "succeeded",
    "failed",
    "skipped",
    "approved",
    "rejected",
    "timed_out",
    "cancelled",
)


class Execution(TenantOwned, Base):
    __tablename__ = "executions"
    __table_args__ = (
        CheckConstraint(f"kind IN {EXECUTION_KINDS}", name="kind"),
        CheckConstraint(f"status IN {EXECUTION_STATUSES}", name="status"),
        CheckConstraint(f"cause IN {CAUSE_KINDS}", name="cause"),
        CheckConstraint(
            "kind <> 'runbook' OR (runbook_id IS NOT NULL AND runbook_version IS NOT NULL)", name="runbook"
        ),
        ForeignKeyConstraint(
            ["runbook_id", "runbook_version"],
            ["runbook_versions.runbook_id", "runbook_versions.version"],
            ondelete="CASCADE",
        ),
        Index("ix_executions_tenant_id_created_at", "tenant_id", "created_at", "id"),
        Index("ix_executions_tenant_id_started_by", "tenant_id", "started_by"),
        # The runs a workflow step or a service request started (origin) are counted on every step and fulfillment.
        Index("ix_executions_tenant_id_origin", "tenant_id", "origin_type", "origin_id"),
        # A tenant's running runbooks, counted against its limit before each one starts (runbooks/slots.py).
        Index(
            "ix_executions_running_runbooks",
            "tenant_id",
            postgresql_where=text("kind = 'runbook' AND status = 'running'"),
        ),
        # What /metrics counts on every scrape (metrics/figures.py): the executions under way, those finished today.
        Index(
            "ix_executions_active",
            "kind",
            "status",
            postgresql_where=text("status IN ('queued', 'running', 'waiting')"),
        ),
        Index(
            "ix_executions_finished_at",
            "finished_at",
            "kind",
            "status",
            postgresql_where=text("finished_at IS NOT NULL"),
        ),
    )

    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), server_default="queued")
    started_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    runbook_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    runbook_version: Mapped[int | None]
    # What started it, when not a person directly (e.g. a service request's fulfillment, a workflow step):
    # `tenantplane.<domain>.execution_hooks` of that origin hear when it finishes.
    origin_type: Mapped[str | None] = mapped_column(String(32))
    origin_id: Mapped[uuid.UUID | None]
    # Why it ran (manual, schedule, webhook, itsm_event, fulfillment, workflow_step) and who caused it:
    # [{user_id, role}] with role requester | requested_for | trigger_owner | starter (executions.causes).
    # Four-eyes on its approval gates refuses everyone here; a webhook's run has nobody.
    cause: Mapped[str | None] = mapped_column(String(32))
    caused_by: Mapped[list[dict[str, str]]] = mapped_column(JSONB, default=list, server_default="[]")
    # Automation workflows (the version is pinned when the execution starts).
    workflow_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"), index=True)
    workflow_version: Mapped[int | None]
    # Runbook parameters or workflow inputs, as given; secret values are never stored here.
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    outputs: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    error: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    cancel_requested_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class StepRun(Base):
    """One action of a runbook execution (or one step of a workflow execution) and how it went."""

    __tablename__ = "step_runs"
    __table_args__ = (
        CheckConstraint(f"status IN {STEP_STATUSES}", name="status"),
        Index("ix_step_runs_execution_id_position", "execution_id", "position"),
        # The step durations of the last window on /metrics (metrics/figures.py).
        Index("ix_step_runs_finished_at", "finished_at", postgresql_where=text("finished_at IS NOT NULL")),
    )
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012 - read by SQLAlchemy, never mutated

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    execution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    # Workflow step runs: the step's id in the workflow and how many times it has been started.
    step_id: Mapped[str | None] = mapped_column(String(100))
    attempt: Mapped[int] = mapped_column(server_default="0")
    # Workflow runbook steps: the runbook version the step runs, pinned when the execution starts (a step
    # with `version: latest` records the version its last run resolved to).
    runbook_version: Mapped[int | None]
    exit_code: Mapped[int | None]
    outputs: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    log: Mapped[str] = mapped_column(Text, server_default="")
    reason: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class ExecutionLogChunk(Base):
    """A piece of live (masked) log, numbered per execution so a reader can resume after the last it saw."""

    __tablename__ = "execution_log_chunks"

    execution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    step_position: Mapped[int | None]
    stream: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())
