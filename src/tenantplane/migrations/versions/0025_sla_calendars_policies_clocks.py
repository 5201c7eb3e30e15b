"""Service levels (issue 17): business calendars, SLA policies on catalog items and change types, and the SLA clocks
of requests and changes.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 21:30:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def _owned(table: str) -> list[Any]:
    """The columns and constraints every tenant-owned table has (kit.db.TenantOwned)."""
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f(f"fk_{table}_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "business_calendars",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("working_hours", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("holidays", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        *_owned("business_calendars"),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_business_calendars_tenant_id_name")),
    )
    op.create_index(op.f("ix_business_calendars_tenant_id"), "business_calendars", ["tenant_id"], unique=False)
    op.create_table(
        "sla_policies",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("calendar_id", sa.Uuid(), nullable=True),
        sa.Column("targets", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("warn_percent", sa.Integer(), server_default=sa.text("80"), nullable=False),
        sa.Column("change_types", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        *_owned("sla_policies"),
        sa.CheckConstraint("warn_percent BETWEEN 1 AND 100", name=op.f("ck_sla_policies_warn_percent")),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["business_calendars.id"],
            name=op.f("fk_sla_policies_calendar_id_business_calendars"),
            ondelete="RESTRICT",
        ),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_sla_policies_tenant_id_name")),
    )
    op.create_index(op.f("ix_sla_policies_tenant_id"), "sla_policies", ["tenant_id"], unique=False)
    op.create_table(
        "sla_clocks",
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("policy_id", sa.Uuid(), nullable=True),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("clock", sa.String(length=8), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="running", nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("warn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True),
        *_owned("sla_clocks"),
        sa.CheckConstraint("target IN ('approval', 'fulfilment', 'resolution')", name=op.f("ck_sla_clocks_target")),
        sa.CheckConstraint("state IN ('running', 'met', 'breached', 'cancelled')", name=op.f("ck_sla_clocks_state")),
        sa.CheckConstraint("clock IN ('business', 'wall')", name=op.f("ck_sla_clocks_clock")),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["sla_policies.id"], name=op.f("fk_sla_clocks_policy_id_sla_policies"), ondelete="SET NULL"
        ),
        sa.UniqueConstraint("record_id", "target", name=op.f("uq_sla_clocks_record_id_target")),
    )
    op.create_index(op.f("ix_sla_clocks_tenant_id"), "sla_clocks", ["tenant_id"], unique=False)
    for table in ("catalog_items", "service_requests", "change_requests"):
        op.add_column(table, sa.Column("sla_policy_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_catalog_items_sla_policy_id_sla_policies"),
        "catalog_items",
        "sla_policies",
        ["sla_policy_id"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_catalog_items_sla_policy_id_sla_policies"), "catalog_items", type_="foreignkey")
    for table in ("change_requests", "service_requests", "catalog_items"):
        op.drop_column(table, "sla_policy_id")
    op.drop_index(op.f("ix_sla_clocks_tenant_id"), table_name="sla_clocks")
    op.drop_table("sla_clocks")
    op.drop_index(op.f("ix_sla_policies_tenant_id"), table_name="sla_policies")
    op.drop_table("sla_policies")
    op.drop_index(op.f("ix_business_calendars_tenant_id"), table_name="business_calendars")
    op.drop_table("business_calendars")
