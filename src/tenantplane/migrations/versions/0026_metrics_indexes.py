"""Operational metrics (issue 17): the partial indexes that keep a /metrics scrape an index range per figure (what
finished today, what is under way, what was not sent) however long the history grows.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 15:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

# (name, table, columns, partial index predicate)
INDEXES = (
    ("ix_approval_instances_finished_at", "approval_instances", ["finished_at", "status"], "finished_at IS NOT NULL"),
    ("ix_approval_gates_decided_at", "approval_gates", ["decided_at", "status"], "decided_at IS NOT NULL"),
    ("ix_sla_clocks_breached_at", "sla_clocks", ["breached_at", "target"], "breached_at IS NOT NULL"),
    ("ix_executions_active", "executions", ["kind", "status"], "status IN ('queued', 'running', 'waiting')"),
    ("ix_executions_finished_at", "executions", ["finished_at", "kind", "status"], "finished_at IS NOT NULL"),
    ("ix_step_runs_finished_at", "step_runs", ["finished_at"], "finished_at IS NOT NULL"),
    (
        "ix_notification_deliveries_unsent",
        "notification_deliveries",
        ["channel_type", "status"],
        "status IN ('queued', 'failed', 'dead')",
    ),
)


def upgrade() -> None:
    for name, table, columns, where in INDEXES:
        op.create_index(name, table, columns, unique=False, postgresql_where=sa.text(where))


def downgrade() -> None:
    for name, table, _, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
