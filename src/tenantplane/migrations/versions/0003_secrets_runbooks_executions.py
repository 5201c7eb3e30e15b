"""Tenant secrets, runbooks with their versions, executions with step runs and live log chunks.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 20:09:46.584600
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "secrets",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_secrets_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_secrets")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_secrets_tenant_id_name")),
    )
    op.create_index(op.f("ix_secrets_tenant_id"), "secrets", ["tenant_id"], unique=False)
    op.create_table(
        "runbooks",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("current_version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
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
            ["created_by"], ["users.id"], name=op.f("fk_runbooks_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_runbooks_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runbooks")),
    )
    op.create_index(op.f("ix_runbooks_tenant_id"), "runbooks", ["tenant_id"], unique=False)
    op.create_index("ix_runbooks_tenant_id_created_at", "runbooks", ["tenant_id", "created_at", "id"], unique=False)
    op.create_index(
        "uq_runbooks_tenant_id_name_active",
        "runbooks",
        ["tenant_id", "name"],
        unique=True,
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.create_table(
        "runbook_versions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("runbook_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_runbook_versions_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["runbook_id"], ["runbooks.id"], name=op.f("fk_runbook_versions_runbook_id_runbooks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_runbook_versions_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runbook_versions")),
        sa.UniqueConstraint("runbook_id", "version", name=op.f("uq_runbook_versions_runbook_id_version")),
    )
    op.create_index(op.f("ix_runbook_versions_tenant_id"), "runbook_versions", ["tenant_id"], unique=False)
    op.create_table(
        "executions",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("started_by", sa.UUID(), nullable=True),
        sa.Column("runbook_id", sa.UUID(), nullable=True),
        sa.Column("runbook_version", sa.Integer(), nullable=True),
        sa.Column("workflow_id", sa.UUID(), nullable=True),
        sa.Column("workflow_version", sa.Integer(), nullable=True),
        sa.Column("parameters", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("outputs", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("job_id", sa.UUID(), nullable=True),
        sa.Column("cancel_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
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
            "kind <> 'runbook' OR (runbook_id IS NOT NULL AND runbook_version IS NOT NULL)",
            name=op.f("ck_executions_runbook"),
        ),
        sa.CheckConstraint("kind IN ('runbook', 'workflow')", name=op.f("ck_executions_kind")),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'waiting', 'succeeded', 'failed', 'rejected', 'cancelled', 'timed_out')",
            name=op.f("ck_executions_status"),
        ),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_executions_job_id_jobs"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["runbook_id", "runbook_version"],
            ["runbook_versions.runbook_id", "runbook_versions.version"],
            name=op.f("fk_executions_runbook_id_runbook_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["started_by"], ["users.id"], name=op.f("fk_executions_started_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_executions_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_executions")),
    )
    op.create_index(op.f("ix_executions_runbook_id"), "executions", ["runbook_id"], unique=False)
    op.create_index(op.f("ix_executions_tenant_id"), "executions", ["tenant_id"], unique=False)
    op.create_index("ix_executions_tenant_id_created_at", "executions", ["tenant_id", "created_at", "id"], unique=False)
    op.create_index("ix_executions_tenant_id_started_by", "executions", ["tenant_id", "started_by"], unique=False)
    op.create_index(op.f("ix_executions_workflow_id"), "executions", ["workflow_id"], unique=False)
    op.create_table(
        "execution_log_chunks",
        sa.Column("execution_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("step_position", sa.Integer(), nullable=True),
        sa.Column("stream", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_execution_log_chunks_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_execution_log_chunks_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("execution_id", "seq", name=op.f("pk_execution_log_chunks")),
    )
    op.create_index(op.f("ix_execution_log_chunks_tenant_id"), "execution_log_chunks", ["tenant_id"], unique=False)
    op.create_table(
        "step_runs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("execution_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("outputs", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("log", sa.Text(), server_default="", nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'waiting', 'succeeded', 'failed', 'skipped', 'approved', 'rejected', "
            "'timed_out', 'cancelled')",
            name=op.f("ck_step_runs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["execution_id"], ["executions.id"], name=op.f("fk_step_runs_execution_id_executions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_step_runs_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_step_runs")),
    )
    op.create_index("ix_step_runs_execution_id_position", "step_runs", ["execution_id", "position"], unique=False)
    op.create_index(op.f("ix_step_runs_tenant_id"), "step_runs", ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_step_runs_tenant_id"), table_name="step_runs")
    op.drop_index("ix_step_runs_execution_id_position", table_name="step_runs")
    op.drop_table("step_runs")
    op.drop_index(op.f("ix_execution_log_chunks_tenant_id"), table_name="execution_log_chunks")
    op.drop_table("execution_log_chunks")
    op.drop_index(op.f("ix_executions_workflow_id"), table_name="executions")
    op.drop_index("ix_executions_tenant_id_started_by", table_name="executions")
    op.drop_index("ix_executions_tenant_id_created_at", table_name="executions")
    op.drop_index(op.f("ix_executions_tenant_id"), table_name="executions")
    op.drop_index(op.f("ix_executions_runbook_id"), table_name="executions")
    op.drop_table("executions")
    op.drop_index(op.f("ix_runbook_versions_tenant_id"), table_name="runbook_versions")
    op.drop_table("runbook_versions")
    op.drop_index(
        "uq_runbooks_tenant_id_name_active", table_name="runbooks", postgresql_where=sa.text("archived_at IS NULL")
    )
    op.drop_index("ix_runbooks_tenant_id_created_at", table_name="runbooks")
    op.drop_index(op.f("ix_runbooks_tenant_id"), table_name="runbooks")
    op.drop_table("runbooks")
    op.drop_index(op.f("ix_secrets_tenant_id"), table_name="secrets")
    op.drop_table("secrets")
