"""Slack approvals (issue 16): a tenant's Slack app, the Slack ids of our users, the approval DMs sent, and the
users' notification preferences (e-mail, Slack DM).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 21:30:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def _owned(table: str) -> list[Any]:
    """The columns and keys of every tenant-owned row (kit.db.TenantOwned)."""
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f(f"fk_{table}_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "slack_apps",
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("bot_token_ciphertext", sa.Text(), nullable=False),
        sa.Column("signing_secret_ciphertext", sa.Text(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=True),
        sa.Column("team_name", sa.String(length=200), nullable=True),
        *_owned("slack_apps"),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_slack_apps_tenant_id")),
    )
    op.create_index(op.f("ix_slack_apps_tenant_id"), "slack_apps", ["tenant_id"], unique=False)
    op.create_table(
        "slack_users",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        *_owned("slack_users"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_slack_users_user_id_users"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("tenant_id", "user_id", name=op.f("uq_slack_users_tenant_id_user_id")),
        sa.UniqueConstraint("tenant_id", "slack_user_id", name=op.f("uq_slack_users_tenant_id_slack_user_id")),
    )
    op.create_index(op.f("ix_slack_users_tenant_id"), "slack_users", ["tenant_id"], unique=False)
    op.create_table(
        "slack_messages",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("step_name", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=2000), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.Column("outcome", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        *_owned("slack_messages"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_slack_messages_user_id_users"), ondelete="CASCADE"
        ),
    )
    op.create_index(op.f("ix_slack_messages_tenant_id"), "slack_messages", ["tenant_id"], unique=False)
    op.create_index(
        "ix_slack_messages_subject", "slack_messages", ["tenant_id", "subject_type", "subject_id"], unique=False
    )
    op.add_column("users", sa.Column("notify_email", sa.Boolean(), server_default=sa.text("true"), nullable=False))
    op.add_column("users", sa.Column("notify_slack", sa.Boolean(), server_default=sa.text("true"), nullable=False))


def downgrade() -> None:
    op.drop_column("users", "notify_slack")
    op.drop_column("users", "notify_email")
    op.drop_index("ix_slack_messages_subject", table_name="slack_messages")
    op.drop_index(op.f("ix_slack_messages_tenant_id"), table_name="slack_messages")
    op.drop_table("slack_messages")
    op.drop_index(op.f("ix_slack_users_tenant_id"), table_name="slack_users")
    op.drop_table("slack_users")
    op.drop_index(op.f("ix_slack_apps_tenant_id"), table_name="slack_apps")
    op.drop_table("slack_apps")
