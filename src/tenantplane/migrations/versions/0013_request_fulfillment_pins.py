"""Service requests pin their fulfillment at submit (runbook/workflow, version, rendered parameters) and count runs.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 10:00:00.000000

Requests submitted before this revision have no pin (fulfillment_type NULL): they are pinned when their
fulfillment starts, which is what they did before. A request that already started a run counts one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLE = "service_requests"


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("fulfillment_type", sa.String(length=16), nullable=True))
    op.add_column(TABLE, sa.Column("fulfillment_runbook_id", sa.UUID(), nullable=True))
    op.add_column(TABLE, sa.Column("fulfillment_workflow_id", sa.UUID(), nullable=True))
    op.add_column(TABLE, sa.Column("fulfillment_version", sa.Integer(), nullable=True))
    op.add_column(TABLE, sa.Column("fulfillment_name", sa.String(length=200), nullable=True))
    op.add_column(TABLE, sa.Column("fulfillment_parameters", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column(TABLE, sa.Column("fulfillment_error", sa.Text(), nullable=True))
    op.add_column(TABLE, sa.Column("fulfillment_runs", sa.Integer(), server_default=sa.text("0"), nullable=False))
    op.create_check_constraint(
        op.f("ck_service_requests_fulfillment_one_target"),
        TABLE,
        "fulfillment_runbook_id IS NULL OR fulfillment_workflow_id IS NULL",
    )
    op.execute(f"UPDATE {TABLE} SET fulfillment_runs = 1 WHERE fulfillment_execution_id IS NOT NULL")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_service_requests_fulfillment_one_target"), TABLE, type_="check")
    for column in (
        "fulfillment_runs",
        "fulfillment_error",
        "fulfillment_parameters",
        "fulfillment_name",
        "fulfillment_version",
        "fulfillment_workflow_id",
        "fulfillment_runbook_id",
        "fulfillment_type",
    ):
        op.drop_column(TABLE, column)
