"""Tenant default approval definitions per change type (`tenants.change_definitions`, issue 11).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 12:00:00.000000

A normal or emergency change that names no approval definition takes its tenant's default for its type;
existing tenants start with none, so such changes keep being refused until an admin sets one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "tenants",
        sa.Column("change_definitions", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("tenants", "change_definitions")
