"""SLA clocks of one approval step: `sla_clocks.step` (the ladder rung of an `approval_step` clock, 0 for the others);
requests awaiting their requester (status `awaiting_requester`) and the clocks paused meanwhile (state `paused`,
`sla_clocks.paused_at`, `sla_policies.pause_on_requester`).

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def _checks(clock_states: str, request_statuses: str) -> None:
    op.drop_constraint(op.f("ck_sla_clocks_state"), "sla_clocks", type_="check")
    op.create_check_constraint(op.f("ck_sla_clocks_state"), "sla_clocks", f"state IN ({clock_states})")
    op.drop_constraint(op.f("ck_service_requests_status"), "service_requests", type_="check")
    op.create_check_constraint(
        op.f("ck_service_requests_status"), "service_requests", f"status IN ({request_statuses})"
    )


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
    op.add_column("sla_clocks", sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "sla_policies", sa.Column("pause_on_requester", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )
    _checks(
        "'running', 'paused', 'met', 'breached', 'cancelled'",
        "'pending_approval', 'rejected', 'cancelled', 'in_fulfillment', 'awaiting_requester', 'fulfilled', "
        "'fulfillment_failed'",
    )


def downgrade() -> None:
    op.execute("UPDATE service_requests SET status = 'in_fulfillment' WHERE status = 'awaiting_requester'")
    op.execute("UPDATE sla_clocks SET state = 'running' WHERE state = 'paused'")
    _checks(
        "'running', 'met', 'breached', 'cancelled'",
        "'pending_approval', 'rejected', 'cancelled', 'in_fulfillment', 'fulfilled', 'fulfillment_failed'",
    )
    op.drop_column("sla_policies", "pause_on_requester")
    op.drop_column("sla_clocks", "paused_at")
    op.execute("DELETE FROM sla_clocks WHERE target = 'approval_step'")
    op.drop_constraint(op.f("ck_sla_clocks_target"), "sla_clocks", type_="check")
    op.create_check_constraint(
        op.f("ck_sla_clocks_target"), "sla_clocks", "target IN ('approval', 'fulfilment', 'resolution')"
    )
    op.drop_constraint(op.f("uq_sla_clocks_record_id_target_step"), "sla_clocks", type_="unique")
    op.create_unique_constraint(op.f("uq_sla_clocks_record_id_target"), "sla_clocks", ["record_id", "target"])
    op.drop_column("sla_clocks", "step")
