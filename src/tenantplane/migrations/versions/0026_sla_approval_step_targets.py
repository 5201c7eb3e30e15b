"""SLA clocks of one approval step: `sla_clocks.step` (the ladder rung of an `approval_step` clock, 0 for the others).

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sla_clocks", sa.Column("step", sa.Integer(), server_default=sa.text("0"), nullable=False))
    op.drop_constraint(op.f("uq_sla_clocks_record_id_target"), "sla_clocks", type_="unique")
    op.create_unique_constraint(
        op.f("uq_sla_clocks_record_id_target_step"), "sla_clocks", ["record_id", "target", "step"]
    )
    op.drop_constraint(op.f("ck_sla_clocks_target"), "sla_clocks", type_="check")
    op.create_check_constraint(
        op.f("ck_sla_clocks_target"),
        "sla_clocks",
        "target IN ('approval', 'approval_step', 'fulfilment', 'resolution')",
    )


def downgrade() -> None:
    op.execute("DELETE FROM sla_clocks WHERE target = 'approval_step'")
    op.drop_constraint(op.f("ck_sla_clocks_target"), "sla_clocks", type_="check")
    op.create_check_constraint(
        op.f("ck_sla_clocks_target"), "sla_clocks", "target IN ('approval', 'fulfilment', 'resolution')"
    )
    op.drop_constraint(op.f("uq_sla_clocks_record_id_target_step"), "sla_clocks", type_="unique")
    op.create_unique_constraint(op.f("uq_sla_clocks_record_id_target"), "sla_clocks", ["record_id", "target"])
    op.drop_column("sla_clocks", "step")
