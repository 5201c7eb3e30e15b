"""Single sign-on (issue 15): each tenant's OpenID provider, and our users' links to (issuer, subject).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 13:14:40.652573
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oidc_providers",
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=500), nullable=False),
        sa.Column("client_secret_ciphertext", sa.Text(), nullable=True),
        sa.Column(
            "scopes",
            postgresql.ARRAY(sa.String(length=100)),
            server_default=sa.text("'{openid,email,profile}'"),
            nullable=False,
        ),
        sa.Column("email_claim", sa.String(length=100), server_default="email", nullable=False),
        sa.Column("name_claim", sa.String(length=100), server_default="name", nullable=False),
        sa.Column("groups_claim", sa.String(length=100), nullable=True),
        sa.Column("manager_claim", sa.String(length=100), nullable=True),
        sa.Column(
            "allowed_domains", postgresql.ARRAY(sa.String(length=255)), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("jit", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("password_sign_in", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_oidc_providers_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_providers")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_oidc_providers_tenant_id")),
    )
    op.create_index(op.f("ix_oidc_providers_tenant_id"), "oidc_providers", ["tenant_id"], unique=False)
    op.create_table(
        "user_identities",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_user_identities_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_identities_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_identities")),
        sa.UniqueConstraint("tenant_id", "issuer", "subject", name=op.f("uq_user_identities_tenant_id_issuer_subject")),
    )
    op.create_index(op.f("ix_user_identities_tenant_id"), "user_identities", ["tenant_id"], unique=False)
    op.create_index(op.f("ix_user_identities_user_id"), "user_identities", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_user_identities_user_id"), table_name="user_identities")
    op.drop_index(op.f("ix_user_identities_tenant_id"), table_name="user_identities")
    op.drop_table("user_identities")
    op.drop_index(op.f("ix_oidc_providers_tenant_id"), table_name="oidc_providers")
    op.drop_table("oidc_providers")
