"""ITSM approvals: definitions and their versions, instances, who may decide now (assignments), and events.

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-25 20:08:35.814397
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "approval_definitions",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("allow_self_approval", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_approval_definitions_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_definitions")),
    )
    op.create_index(op.f("ix_approval_definitions_tenant_id"), "approval_definitions", ["tenant_id"], unique=False)
    op.create_index(
        "ix_approval_definitions_tenant_id_created_at",
        "approval_definitions",
        ["tenant_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "uq_approval_definitions_tenant_id_name_active",
        "approval_definitions",
        ["tenant_id", "name"],
        unique=True,
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.create_table(
        "approval_definition_versions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("definition_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("allow_self_approval", sa.Boolean(), nullable=False),
        sa.Column("steps", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_approval_definition_versions_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["approval_definitions.id"],
            name=op.f("fk_approval_definition_versions_definition_id_approval_definitions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_approval_definition_versions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_definition_versions")),
        sa.UniqueConstraint(
            "definition_id", "version", name=op.f("uq_approval_definition_versions_definition_id_version")
        ),
    )
    op.create_index(
        op.f("ix_approval_definition_versions_tenant_id"), "approval_definition_versions", ["tenant_id"], unique=False
    )
    op.create_table(
        "approval_instances",
        sa.Column("definition_id", sa.UUID(), nullable=False),
        sa.Column("definition_version", sa.Integer(), nullable=False),
        sa.Column("record_type", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("requester_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("current_step", sa.Integer(), nullable=True),
        sa.Column("variables", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("state", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'cancelled')", name=op.f("ck_approval_instances_status")
        ),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["approval_definitions.id"],
            name=op.f("fk_approval_instances_definition_id_approval_definitions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["users.id"], name=op.f("fk_approval_instances_requester_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_approval_instances_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_instances")),
    )
    op.create_index(
        "ix_approval_instances_definition_id",
        "approval_instances",
        ["definition_id", "definition_version"],
        unique=False,
    )
    op.create_index(op.f("ix_approval_instances_tenant_id"), "approval_instances", ["tenant_id"], unique=False)
    op.create_index(
        "ix_approval_instances_tenant_id_created_at",
        "approval_instances",
        ["tenant_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_approval_instances_tenant_id_record",
        "approval_instances",
        ["tenant_id", "record_type", "record_id"],
        unique=False,
    )
    op.create_index(
        "ix_approval_instances_tenant_id_requester_id",
        "approval_instances",
        ["tenant_id", "requester_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_approval_instances_tenant_id_status_created_at",
        "approval_instances",
        ["tenant_id", "status", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "approval_assignments",
        sa.Column("instance_id", sa.UUID(), nullable=False),
        sa.Column("step_name", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["approval_instances.id"],
            name=op.f("fk_approval_assignments_instance_id_approval_instances"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_approval_assignments_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_approval_assignments_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("instance_id", "step_name", "user_id", name=op.f("pk_approval_assignments")),
    )
    op.create_index(
        "ix_approval_assignments_tenant_id_user_id",
        "approval_assignments",
        ["tenant_id", "user_id", "instance_id"],
        unique=False,
    )
    op.create_table(
        "approval_events",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("instance_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["approval_instances.id"],
            name=op.f("fk_approval_events_instance_id_approval_instances"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_approval_events_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_events")),
    )
    op.create_index(
        "ix_approval_events_instance_id_created_at", "approval_events", ["instance_id", "created_at"], unique=False
    )
    op.create_index(op.f("ix_approval_events_tenant_id"), "approval_events", ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_approval_events_tenant_id"), table_name="approval_events")
    op.drop_index("ix_approval_events_instance_id_created_at", table_name="approval_events")
    op.drop_table("approval_events")
    op.drop_index("ix_approval_assignments_tenant_id_user_id", table_name="approval_assignments")
    op.drop_table("approval_assignments")
    op.drop_index("ix_approval_instances_tenant_id_status_created_at", table_name="approval_instances")
    op.drop_index("ix_approval_instances_tenant_id_requester_id", table_name="approval_instances")
    op.drop_index("ix_approval_instances_tenant_id_record", table_name="approval_instances")
    op.drop_index("ix_approval_instances_tenant_id_created_at", table_name="approval_instances")
    op.drop_index(op.f("ix_approval_instances_tenant_id"), table_name="approval_instances")
    op.drop_index("ix_approval_instances_definition_id", table_name="approval_instances")
    op.drop_table("approval_instances")
    op.drop_index(op.f("ix_approval_definition_versions_tenant_id"), table_name="approval_definition_versions")
    op.drop_table("approval_definition_versions")
    op.drop_index(
        "uq_approval_definitions_tenant_id_name_active",
        table_name="approval_definitions",
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.drop_index("ix_approval_definitions_tenant_id_created_at", table_name="approval_definitions")
    op.drop_index(op.f("ix_approval_definitions_tenant_id"), table_name="approval_definitions")
    op.drop_table("approval_definitions")
