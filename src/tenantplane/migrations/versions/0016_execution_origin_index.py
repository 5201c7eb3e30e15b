"""An index on executions by origin (issue 13): the runs a workflow step or a request started are found by it.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 16:30:00.000000

Every runbook step asks how many runs it has started (`origin_type = 'workflow_step' AND origin_id = <step run>`),
and every fulfillment how many runs its request has; without the index both scan all of a tenant's executions.
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_executions_tenant_id_origin", "executions", ["tenant_id", "origin_type", "origin_id"])


def downgrade() -> None:
    op.drop_index("ix_executions_tenant_id_origin", table_name="executions")
