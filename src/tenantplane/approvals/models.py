"""ORM models of ITSM approvals: definitions with their versions, instances, who may decide now, and events.

The engine's state lives in `approval_instances.state` (JSONB); `approval_assignments` mirrors who may decide.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenantplane.kit.db import Base, TenantOwned

INSTANCE_STATUSES = ("pending", "approved", "rejected", "cancelled")


class ApprovalDefinition(TenantOwned, Base):
    """A named approval ladder; its steps live in versions, `version` is the one new instances run."""

    __tablename__ = "approval_definitions"
    __table_args__ = (
        Index("ix_approval_definitions_tenant_id_created_at", "tenant_id", "created_at", "id"),
        # Names pick definitions in the catalog UI and in YAML apply: unique among the active ones.
        Index(
            "uq_approval_definitions_tenant_id_name_active",
            "tenant_id",
            "name",
            unique=True,
            postgresql_where=text("archived_at IS NULL"),
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    version: Mapped[int] = mapped_column(server_default=text("1"))
    allow_self_approval: Mapped[bool] = mapped_column(server_default=text("false"))
    archived_at: Mapped[datetime | None]


class ApprovalDefinitionVersion(Base):
    """One immutable version of a definition's steps (approver values stored as resolved ids)."""

    __tablename__ = "approval_definition_versions"
    __table_args__ = (UniqueConstraint("definition_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    definition_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("approval_definitions.id", ondelete="CASCADE"))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    allow_self_approval: Mapped[bool]
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())


class ApprovalInstance(TenantOwned, Base):
    """One run of a definition version for one record (a service request, a change, …)."""

    __tablename__ = "approval_instances"
    __table_args__ = (
        CheckConstraint(f"status IN {INSTANCE_STATUSES}", name="status"),
        Index("ix_approval_instances_tenant_id_created_at", "tenant_id", "created_at", "id"),
        Index("ix_approval_instances_tenant_id_status_created_at", "tenant_id", "status", "created_at", "id"),
        Index("ix_approval_instances_tenant_id_requester_id", "tenant_id", "requester_id", "created_at"),
        Index("ix_approval_instances_tenant_id_record", "tenant_id", "record_type", "record_id"),
        Index("ix_approval_instances_definition_id", "definition_id", "definition_version"),
        # Decisions of the day, counted on every /metrics scrape (metrics/figures.py).
        Index(
            "ix_approval_instances_finished_at",
            "finished_at",
            "status",
            postgresql_where=text("finished_at IS NOT NULL"),
        ),
    )

    definition_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("approval_definitions.id", ondelete="CASCADE"))
    definition_version: Mapped[int]
    record_type: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[uuid.UUID]
    title: Mapped[str | None] = mapped_column(String(300))
    requester_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The person the record is for when that is not the requester (a request submitted for someone else): four-eyes
    # excludes them too, and a `manager` step means their manager.
    requested_for_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    current_step: Mapped[int | None]
    variables: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    state: Mapped[dict[str, Any]] = mapped_column(JSONB)
    finished_at: Mapped[datetime | None]


class ApprovalAssignment(Base):
    """Who may decide an open step right now (eligible and not yet heard); rewritten on every transition.

    Only pending instances have rows, so the inbox is an index lookup however many instances finished.
    """

    __tablename__ = "approval_assignments"
    __table_args__ = (Index("ix_approval_assignments_tenant_id_user_id", "tenant_id", "user_id", "instance_id"),)

    instance_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("approval_instances.id", ondelete="CASCADE"), primary_key=True
    )
    step_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))


class ApprovalEvent(Base):
    """Something that happened to an instance (decision, notification, timer, outcome): its timeline."""

    __tablename__ = "approval_events"
    __table_args__ = (Index("ix_approval_events_instance_id_created_at", "instance_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    instance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("approval_instances.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[uuid.UUID | None]
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())
