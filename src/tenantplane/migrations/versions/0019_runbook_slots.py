"""Per-tenant limit on running runbook executions (issue 14): the `waiting` job status and the indexes it needs.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 13:10:00.000000

A runbook job that finds its tenant already running as many runbooks as it may (`tenants.max_running_runbooks`,
else the operator's TENANTPLANE_TENANT_MAX_RUNNING_RUNBOOKS) goes to `waiting`: out of the claim's indexes, so a
tenant's backlog of held runs costs the other tenants' claims nothing. A run that ends wakes the tenant's oldest
waiting jobs (ix_jobs_waiting); the count of a tenant's running runbooks is one probe of a small partial index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

OLD = "('queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled')"
NEW = "('queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled', 'waiting')"


def upgrade() -> None:
    op.add_column("tenants", sa.Column("max_running_runbooks", sa.Integer(), nullable=True))
    op.drop_constraint(op.f("ck_jobs_status"), "jobs", type_="check")
    op.create_check_constraint(op.f("ck_jobs_status"), "jobs", sa.text(f"status IN {NEW}"))
    op.drop_index("uq_jobs_dedupe_key_active", table_name="jobs")
    op.create_index(
        "uq_jobs_dedupe_key_active",
        "jobs",
        ["dedupe_key"],
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'running', 'failed', 'waiting')"),
    )
    op.create_index(
        "ix_jobs_waiting", "jobs", ["tenant_id", "created_at"], postgresql_where=sa.text("status = 'waiting'")
    )
    op.create_index(
        "ix_executions_running_runbooks",
        "executions",
        ["tenant_id"],
        postgresql_where=sa.text("kind = 'runbook' AND status = 'running'"),
    )


def downgrade() -> None:
    op.drop_index("ix_executions_running_runbooks", table_name="executions")
    op.drop_index("ix_jobs_waiting", table_name="jobs")
    op.execute("UPDATE jobs SET status = 'queued' WHERE status = 'waiting'")
    op.drop_index("uq_jobs_dedupe_key_active", table_name="jobs")
    op.create_index(
        "uq_jobs_dedupe_key_active",
        "jobs",
        ["dedupe_key"],
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'running', 'failed')"),
    )
    op.drop_constraint(op.f("ck_jobs_status"), "jobs", type_="check")
    op.create_check_constraint(op.f("ck_jobs_status"), "jobs", sa.text(f"status IN {OLD}"))
    op.drop_column("tenants", "max_running_runbooks")
