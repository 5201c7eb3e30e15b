"""SLA clocks carry their request's catalog item (`sla_clocks.catalog_item_id`, NULL for changes), indexed with the
tenant and start time, so that SLA compliance per item and month reads the clocks alone: no join to every request.
Existing clocks of service requests take their request's item.

Revision ID: 0029
Revises: 0028
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

INDEX = "ix_sla_clocks_tenant_id_catalog_item_id_started_at"


def upgrade() -> None:
    op.add_column("sla_clocks", sa.Column("catalog_item_id", sa.Uuid(), nullable=True))
    op.execute(
        "UPDATE sla_clocks c SET catalog_item_id = sr.catalog_item_id FROM service_requests sr"
        " WHERE sr.id = c.record_id AND sr.tenant_id = c.tenant_id AND c.record_type = 'service_request'"
    )
    op.create_index(INDEX, "sla_clocks", ["tenant_id", "catalog_item_id", "started_at"], unique=False)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="sla_clocks")
    op.drop_column("sla_clocks", "catalog_item_id")
