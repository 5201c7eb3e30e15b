"""SCIM 2.0 provisioning (issue 15): SCIM tokens, directory ids on users and groups, the tenant's fallback
group, and why an automation gate was re-routed.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 13:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scim_tokens",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_scim_tokens_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_scim_tokens_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scim_tokens")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_scim_tokens_secret_hash")),
    )
    op.create_index(op.f("ix_scim_tokens_tenant_id"), "scim_tokens", ["tenant_id"], unique=False)
    for table in ("users", "groups"):
        op.add_column(table, sa.Column("external_id", sa.String(length=255), nullable=True))
        op.add_column(table, sa.Column("managed_by", sa.String(length=16), nullable=True))
        op.create_index(
            f"uq_{table}_tenant_id_external_id",
            table,
            ["tenant_id", "external_id"],
            unique=True,
            postgresql_where=sa.text("external_id IS NOT NULL"),
        )
    op.add_column("users", sa.Column("user_name", sa.String(length=255), nullable=True))
    op.add_column("users", sa.Column("scim_attributes", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column("tenants", sa.Column("fallback_group_id", sa.Uuid(), nullable=True))
    op.add_column("approval_gates", sa.Column("rerouted", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("approval_gates", "rerouted")
    op.drop_column("tenants", "fallback_group_id")
    op.drop_column("users", "user_name")
    op.drop_column("users", "scim_attributes")
    for table in ("groups", "users"):
        op.drop_index(f"uq_{table}_tenant_id_external_id", table_name=table)
        op.drop_column(table, "managed_by")
        op.drop_column(table, "external_id")
    op.drop_index(op.f("ix_scim_tokens_tenant_id"), table_name="scim_tokens")
    op.drop_table("scim_tokens")
