"""The trigger context of a workflow execution (`trigger` in its expressions and templates).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 23:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "automation_runs",
        sa.Column("trigger", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("automation_runs", "trigger")
