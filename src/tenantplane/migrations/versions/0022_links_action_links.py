"""Signed action links (issue 16): one row per (subject, person, decision) found by its token's sha256, the
sealed buttons of a notification delivery, and Microsoft Teams channels.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 21:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "action_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("step_name", sa.String(length=200), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("decision IN ('approved', 'rejected')", name=op.f("ck_action_links_decision")),
        sa.CheckConstraint("subject_type IN ('approval_step', 'gate')", name=op.f("ck_action_links_subject_type")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_action_links_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_action_links_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_action_links_token_hash")),
    )
    op.create_index(op.f("ix_action_links_tenant_id"), "action_links", ["tenant_id"], unique=False)
    op.create_index(
        "ix_action_links_subject", "action_links", ["tenant_id", "subject_type", "subject_id", "user_id"], unique=False
    )
    op.add_column("notification_deliveries", sa.Column("sealed_actions", sa.Text(), nullable=True))
    _channel_types("('email', 'webhook', 'apprise', 'in_app', 'teams')")


def _channel_types(allowed: str) -> None:
    op.drop_constraint(op.f("ck_notification_channels_type"), "notification_channels", type_="check")
    op.create_check_constraint(op.f("ck_notification_channels_type"), "notification_channels", f"type IN {allowed}")


def downgrade() -> None:
    op.execute("DELETE FROM notification_channels WHERE type = 'teams'")
    _channel_types("('email', 'webhook', 'apprise', 'in_app')")
    op.drop_column("notification_deliveries", "sealed_actions")
    op.drop_index("ix_action_links_subject", table_name="action_links")
    op.drop_index(op.f("ix_action_links_tenant_id"), table_name="action_links")
    op.drop_table("action_links")
