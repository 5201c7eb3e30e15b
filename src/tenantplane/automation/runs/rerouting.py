"""A leaver's pending approval gates never hang: a gate only the deactivated user could still decide is re-routed.

Like `approvals.rerouting` for ITSM steps: the gate's approvers are resolved again (the leaver is inactive now);
when those left cannot reach its quorum, the tenant's fallback approvers are added, the gate records why, the
new approvers are told and the change is audited.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.fallback import fallback_approvers
from tenantplane.audit.service import record_event
from tenantplane.automation.runs import repository as repo
from tenantplane.automation.runs.gate_opening import eligible_users, four_eyes_excluded
from tenantplane.automation.runs.models import ApprovalGate
from tenantplane.automation.runs.state import load_run
from tenantplane.kit.actors import Actor
from tenantplane.notifications.service import notify_users


def _votes(gate: ApprovalGate) -> set[str]:
    return {str(d.get("on_behalf_of") or d["user_id"]) for d in gate.decisions} | {
        str(d["user_id"]) for d in gate.decisions
    }


async def reroute_leaver_gates(
    session: AsyncSession, *, tenant_id: uuid.UUID, leaver: uuid.UUID, actor: Actor | None
) -> int:
    stmt = (
        select(ApprovalGate.id)
        .where(
            ApprovalGate.tenant_id == tenant_id,
            ApprovalGate.status == "pending",
            ApprovalGate.eligible.contains([str(leaver)]),
        )
        .order_by(ApprovalGate.id)
    )
    moved = 0
    for gate_id in (await session.scalars(stmt)).all():
        moved += await _reroute_gate(session, tenant_id, gate_id, leaver, actor)
    return moved


async def _reroute_gate(
    session: AsyncSession, tenant_id: uuid.UUID, gate_id: uuid.UUID, leaver: uuid.UUID, actor: Actor | None
) -> int:
    gate = await repo.get_gate(session, tenant_id, gate_id)
    await load_run(session, tenant_id, gate.execution_id)  # the execution row first: the one lock order
    gate = await repo.get_gate(session, tenant_id, gate_id, for_update=True)
    if gate.status != "pending":
        return 0
    approved = {str(d.get("on_behalf_of") or d["user_id"]) for d in gate.decisions if d["decision"] == "approved"}
    excluded = four_eyes_excluded(gate)
    now_eligible = await eligible_users(session, tenant_id, list(gate.approvers))
    possible = now_eligible - excluded - _votes(gate)
    if len(approved) + len(possible) >= gate.min_approvals:
        return 0
    to, who = await fallback_approvers(session, tenant_id, leaver)
    added = sorted(to - set(gate.eligible) - excluded)
    gate.eligible = sorted((set(gate.eligible) - {str(leaver)}) | set(added))
    gate.rerouted = f"re-routed to the {who}: its only possible approver ({leaver}) was deactivated"
    await session.flush()
    await notify_users(
        session,
        tenant_id=tenant_id,
        user_ids=[uuid.UUID(u) for u in added],
        subject=f"Approval needed: {gate.step_id} (re-routed)",
        body=f"{gate.message}\n{gate.rerouted}",
        link=f"/approvals/gates/{gate.id}",
    )
    summary: dict[str, Any] = {"leaver_id": leaver, "to": who, "added": added, "execution_id": gate.execution_id}
    await record_event(
        session,
        actor=actor,
        tenant_id=tenant_id,
        action="automation_approval.rerouted",
        object_type="automation_approval",
        object_id=gate.id,
        summary=summary,
    )
    return 1
