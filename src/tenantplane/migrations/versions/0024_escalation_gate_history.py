"""Reminders and escalation of automation approval gates (issue 16): a gate's history (reminders, its escalation)
and when it was escalated.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 21:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    history = sa.Column("history", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False)
    op.add_column("approval_gates", history)
    op.add_column("approval_gates", sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("approval_gates", "escalated_at")
    op.drop_column("approval_gates", "history")
