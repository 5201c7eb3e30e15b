"""Workflow step runs record the runbook version they run (pinned when the execution starts).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27 12:00:00.000000

Finished runbook steps get the version of the last runbook execution they started. Steps of executions that
started before this revision and have not run yet keep no pin: they run the runbook's version current when they
start (what they did before), and record it then.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("step_runs", sa.Column("runbook_version", sa.Integer(), nullable=True))
    op.execute(
        """
        UPDATE step_runs AS s SET runbook_version = (
            SELECT e.runbook_version FROM executions AS e
            WHERE e.tenant_id = s.tenant_id AND e.origin_type = 'workflow_step' AND e.origin_id = s.id
            ORDER BY e.created_at DESC LIMIT 1
        )
        WHERE s.step_id IS NOT NULL AND s.type = 'runbook'
        """
    )


def downgrade() -> None:
    op.drop_column("step_runs", "runbook_version")
