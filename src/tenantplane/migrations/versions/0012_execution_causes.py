"""Who caused an execution (its cause and chain, copied onto its gates), trigger owners, ITSM beneficiaries.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 09:00:00.000000

Existing rows are filled in from what they already say: a run started by hand was caused by its starter, a
fulfillment run by the request's requester and requested-for, a trigger's run by the trigger's owner (schedule),
the ITSM record in its trigger context (itsm_event) or nobody (webhook); a workflow step's runbook run inherits its
run's chain. Approval instances of requests for someone else learn whom the request is for.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

CAUSES = "('manual', 'schedule', 'webhook', 'itsm_event', 'fulfillment', 'workflow_step')"


def _jsonb_list(name: str) -> sa.Column[object]:
    return sa.Column(name, postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False)


def upgrade() -> None:
    op.add_column("executions", sa.Column("cause", sa.String(length=32), nullable=True))
    op.add_column("executions", _jsonb_list("caused_by"))
    op.create_check_constraint(op.f("ck_executions_cause"), "executions", f"cause IN {CAUSES}")
    op.add_column("approval_gates", _jsonb_list("caused_by"))
    op.add_column("workflow_triggers", sa.Column("owner_id", sa.UUID(), nullable=True))
    op.create_foreign_key(
        op.f("fk_workflow_triggers_owner_id_users"),
        "workflow_triggers",
        "users",
        ["owner_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.add_column("approval_instances", sa.Column("requested_for_id", sa.UUID(), nullable=True))
    op.create_foreign_key(
        op.f("fk_approval_instances_requested_for_id_users"),
        "approval_instances",
        "users",
        ["requested_for_id"],
        ["id"],
        ondelete="SET NULL",
    )
    _backfill()


def _backfill() -> None:
    op.execute("UPDATE workflow_triggers SET owner_id = created_by")
    op.execute(
        """
        UPDATE approval_instances AS i
        SET requested_for_id = r.requested_for_id,
            state = jsonb_set(i.state, '{requested_for_id}', to_jsonb(CAST(r.requested_for_id AS text)))
        FROM service_requests AS r
        WHERE i.record_type = 'service_request' AND r.id = i.record_id AND r.tenant_id = i.tenant_id
          AND r.requested_for_id <> i.requester_id
        """
    )
    person = "jsonb_build_object('user_id', CAST({id} AS text), 'role', '{role}')"
    op.execute(
        f"""
        UPDATE executions AS e
        SET cause = 'fulfillment',
            caused_by = CASE WHEN r.requested_for_id = r.requester_id
                THEN jsonb_build_array({person.format(id="r.requester_id", role="requester")})
                ELSE jsonb_build_array({person.format(id="r.requester_id", role="requester")},
                                       {person.format(id="r.requested_for_id", role="requested_for")}) END
        FROM service_requests AS r
        WHERE e.origin_type = 'service_request' AND r.id = e.origin_id AND r.tenant_id = e.tenant_id
        """
    )
    op.execute(
        f"""
        UPDATE executions AS e
        SET cause = t.kind,
            caused_by = CASE
                WHEN t.kind = 'schedule' AND t.owner_id IS NOT NULL
                    THEN jsonb_build_array({person.format(id="t.owner_id", role="trigger_owner")})
                ELSE '[]'::jsonb END
        FROM workflow_triggers AS t
        WHERE e.origin_type = 'trigger' AND t.id = e.origin_id AND t.tenant_id = e.tenant_id
        """
    )
    # An ITSM event's run names its record's people in the trigger context it kept.
    op.execute(
        f"""
        UPDATE executions AS e
        SET caused_by = (
            SELECT COALESCE(jsonb_agg(p.entry ORDER BY p.n), '[]'::jsonb)
            FROM (
                SELECT 1 AS n, {person.format(id="rec->>'requester_id'", role="requester")} AS entry
                WHERE rec->>'requester_id' IS NOT NULL
                UNION ALL
                SELECT 2, {person.format(id="rec->>'requested_for_id'", role="requested_for")}
                WHERE rec->>'requested_for_id' IS NOT NULL
                  AND rec->>'requested_for_id' IS DISTINCT FROM rec->>'requester_id'
            ) AS p
        )
        FROM automation_runs AS a,
             LATERAL (SELECT COALESCE(a.trigger->'request', a.trigger->'change') AS rec) AS record
        WHERE e.cause = 'itsm_event' AND a.execution_id = e.id
        """
    )
    op.execute(
        f"""
        UPDATE executions
        SET cause = 'manual', caused_by = jsonb_build_array({person.format(id="started_by", role="starter")})
        WHERE cause IS NULL AND origin_type IS NULL AND started_by IS NOT NULL
        """
    )
    # Step runbook runs last: their workflow runs have their chains by now.
    op.execute(
        """
        UPDATE executions AS child
        SET cause = 'workflow_step', caused_by = parent.caused_by
        FROM step_runs AS s JOIN executions AS parent ON parent.id = s.execution_id
        WHERE child.origin_type = 'workflow_step' AND s.id = child.origin_id AND s.tenant_id = child.tenant_id
        """
    )
    op.execute(
        f"""
        UPDATE approval_gates AS g
        SET caused_by = CASE WHEN e.caused_by = '[]'::jsonb AND g.started_by IS NOT NULL
            THEN jsonb_build_array({person.format(id="g.started_by", role="starter")})
            ELSE e.caused_by END
        FROM executions AS e
        WHERE e.id = g.execution_id
        """
    )


def downgrade() -> None:
    op.execute("UPDATE approval_instances SET state = state - 'requested_for_id'")
    op.drop_constraint(op.f("fk_approval_instances_requested_for_id_users"), "approval_instances", type_="foreignkey")
    op.drop_column("approval_instances", "requested_for_id")
    op.drop_constraint(op.f("fk_workflow_triggers_owner_id_users"), "workflow_triggers", type_="foreignkey")
    op.drop_column("workflow_triggers", "owner_id")
    op.drop_column("approval_gates", "caused_by")
    op.drop_constraint(op.f("ck_executions_cause"), "executions", type_="check")
    op.drop_column("executions", "caused_by")
    op.drop_column("executions", "cause")
