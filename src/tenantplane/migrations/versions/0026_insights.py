"""Insights (issue 17 item 3): catalog items' owner group, and the indexes the insights queries need.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_approval_instances_tenant_id_finished_at", "approval_instances", ["tenant_id", "finished_at"]),
    ("ix_service_requests_tenant_id_closed_at", "service_requests", ["tenant_id", "closed_at"]),
    ("ix_sla_clocks_tenant_id_started_at", "sla_clocks", ["tenant_id", "started_at"]),
    ("ix_approval_gates_tenant_id_created_at", "approval_gates", ["tenant_id", "created_at"]),
)


def upgrade() -> None:
    op.add_column("catalog_items", sa.Column("owner_group_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_catalog_items_owner_group_id_groups"),
        "catalog_items",
        "groups",
        ["owner_group_id"],
        ["id"],
        ondelete="SET NULL",
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_constraint(op.f("fk_catalog_items_owner_group_id_groups"), "catalog_items", type_="foreignkey")
    op.drop_column("catalog_items", "owner_group_id")
