"""ORM models of ITSM: catalog items, service requests, change requests, their timelines and numbering.

Approval instances and executions are referenced by id; their own domains own those tables.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenantplane.kit.db import Base, TenantOwned

REQUEST_STATUSES = ("pending_approval", "rejected", "cancelled", "in_fulfillment", "fulfilled", "fulfillment_failed")
CHANGE_STATUSES = ("pending_approval", "scheduled", "implementing", "completed", "failed", "rejected", "cancelled")
FULFILLMENT_TYPES = ("manual", "runbook", "workflow")
REQUEST_RECORD, CHANGE_RECORD = "service_request", "change_request"  # record types of timelines, approvals, SLAs


class CatalogItem(TenantOwned, Base):
    __tablename__ = "catalog_items"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        CheckConstraint(f"fulfillment_type IN {FULFILLMENT_TYPES}", name="fulfillment_type"),
    )

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    category: Mapped[str] = mapped_column(String(100), server_default="General")
    variables: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    workflow_definition_id: Mapped[uuid.UUID | None]
    fulfillment_type: Mapped[str] = mapped_column(String(16), server_default="manual")
    fulfillment_config: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    fulfillment_group_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    sla_policy_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sla_policies.id", ondelete="SET NULL"))
    # The service owners: members of this group see the item's figures in /api/insights (admins see every item's).
    owner_group_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(server_default=text("true"))


class ServiceRequest(TenantOwned, Base):
    __tablename__ = "service_requests"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        CheckConstraint(f"status IN {REQUEST_STATUSES}", name="status"),
        Index(
            "uq_service_requests_idempotency",
            "tenant_id",
            "requester_id",
            "idempotency_key",
            unique=True,
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
        Index("ix_service_requests_requester", "tenant_id", "requester_id", "created_at"),
        # The list pages: everyone's (newest first) and "mine", which is requester OR requested-for.
        Index("ix_service_requests_tenant_id_created_at", "tenant_id", "created_at", "id"),
        Index("ix_service_requests_requested_for", "tenant_id", "requested_for_id", "created_at"),
        Index("ix_service_requests_status", "tenant_id", "status", "created_at"),
        CheckConstraint(
            "fulfillment_runbook_id IS NULL OR fulfillment_workflow_id IS NULL", name="fulfillment_one_target"
        ),
    )

    number: Mapped[str] = mapped_column(String(20))
    catalog_item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_items.id", ondelete="RESTRICT"))
    requester_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    requested_for_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    variables: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    justification: Mapped[str] = mapped_column(Text, server_default="")
    status: Mapped[str] = mapped_column(String(24))
    approval_instance_id: Mapped[uuid.UUID | None]
    fulfillment_execution_id: Mapped[uuid.UUID | None]
    fulfillment_note: Mapped[str | None] = mapped_column(Text)
    # The fulfillment pinned at submit (what the approvers see is what runs); null type: submitted before pinning.
    fulfillment_type: Mapped[str | None] = mapped_column(String(16))
    fulfillment_runbook_id: Mapped[uuid.UUID | None]
    fulfillment_workflow_id: Mapped[uuid.UUID | None]
    fulfillment_version: Mapped[int | None]
    fulfillment_name: Mapped[str | None] = mapped_column(String(200))
    fulfillment_parameters: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    fulfillment_error: Mapped[str | None] = mapped_column(Text)
    fulfillment_runs: Mapped[int] = mapped_column(server_default=text("0"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    # The SLA policy pinned at submit (the item's then); its clocks start and stop as the request moves. No foreign
    # key: a deleted policy starts no more clocks, but the ones it started still stop when the request moves.
    sla_policy_id: Mapped[uuid.UUID | None]
    closed_at: Mapped[datetime | None]


class ChangeRequest(TenantOwned, Base):
    __tablename__ = "change_requests"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        CheckConstraint(f"status IN {CHANGE_STATUSES}", name="status"),
        CheckConstraint("type IN ('standard', 'normal', 'emergency')", name="type"),
    )

    number: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, server_default="")
    type: Mapped[str] = mapped_column(String(16))
    risk: Mapped[str] = mapped_column(String(16), server_default="low")
    impact: Mapped[str] = mapped_column(String(16), server_default="low")
    planned_start: Mapped[datetime | None]
    planned_end: Mapped[datetime | None]
    workflow_definition_id: Mapped[uuid.UUID | None]
    requester_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(24))
    approval_instance_id: Mapped[uuid.UUID | None]
    outcome_note: Mapped[str | None] = mapped_column(Text)
    sla_policy_id: Mapped[uuid.UUID | None]  # pinned at submit, from its type's policy (no foreign key, as requests)
    closed_at: Mapped[datetime | None]


class RecordEvent(TenantOwned, Base):
    """One entry of a request's or change's timeline: submitted, each decision, fulfillment, comments."""

    __tablename__ = "itsm_record_events"
    __table_args__ = (Index("ix_itsm_record_events_record", "record_id", "created_at"),)

    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(48))
    actor_id: Mapped[uuid.UUID | None]
    message: Mapped[str] = mapped_column(Text, server_default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class TenantCounter(Base):
    """Per-tenant sequences for human numbers (REQ0001234, CHG0000042)."""

    __tablename__ = "tenant_counters"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[int] = mapped_column(server_default=text("0"))
