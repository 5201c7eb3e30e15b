"""A leaver's pending approvals never hang: every open step only the deactivated user could decide is re-routed.

The directory is re-read first (RefreshApprovers): a group or role step keeps its other members. A step that is
then undecidable (the engine flags it) and had the leaver among its approvers goes to the fallback approvers
(RerouteStep), with a timeline entry, an audit event and a notice to the new approvers.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.effects import record_approval_event
from tenantplane.approvals.engine import FlagEmptyApproverSet, RefreshApprovers, RerouteStep
from tenantplane.approvals.fallback import fallback_approvers
from tenantplane.approvals.models import ApprovalAssignment
from tenantplane.approvals.service import _approvers_for, _now, _save, _transition, lock_instance
from tenantplane.audit.service import record_event
from tenantplane.kit.actors import Actor


async def reroute_leaver(session: AsyncSession, *, tenant_id: uuid.UUID, leaver: uuid.UUID, actor: Actor | None) -> int:
    """Re-route the open steps of every pending instance the leaver could decide; returns how many steps moved."""
    stmt = (
        select(ApprovalAssignment.instance_id)
        .where(ApprovalAssignment.tenant_id == tenant_id, ApprovalAssignment.user_id == leaver)
        .distinct()
        .order_by(ApprovalAssignment.instance_id)  # a stable lock order against a concurrent leaver
    )
    moved = 0
    for instance_id in (await session.scalars(stmt)).all():
        moved += await _reroute_instance(session, tenant_id, instance_id, leaver, actor)
    return moved


async def _reroute_instance(
    session: AsyncSession, tenant_id: uuid.UUID, instance_id: uuid.UUID, leaver: uuid.UUID, actor: Actor | None
) -> int:
    locked = await lock_instance(session, tenant_id, instance_id)
    if locked.state.status != "pending":
        return 0
    had_leaver = {s.name for s in locked.state.open_steps() if str(leaver) in (s.eligible_ids or ())}
    approvers = await _approvers_for(session, locked, fresh=True)
    transition = _transition(locked, RefreshApprovers(now=_now(), approvers=approvers))
    stuck = [s.name for s in transition.state.open_steps() if s.flagged and s.name in had_leaver]
    if not stuck:
        if transition.state != locked.state:
            await _save(session, locked.instance, transition)
        return 0
    to, who = await fallback_approvers(session, tenant_id, leaver)
    reason = f"re-routed to the {who}: its only possible approver ({leaver}) was deactivated"
    effects = [e for e in transition.effects if not (isinstance(e, FlagEmptyApproverSet) and e.step_name in stuck)]
    for name in stuck:
        event = RerouteStep(step_name=name, to=to, reason=reason, now=_now(), approvers=approvers)
        step_transition = _transition(replace(locked, state=transition.state), event)
        transition = replace(step_transition, effects=(*effects, *step_transition.effects))
        effects = list(transition.effects)
    instance = locked.instance
    for name in stuck:
        payload = {"step_name": name, "leaver_id": str(leaver), "to": who, "approver_ids": sorted(to)}
        await record_approval_event(session, instance, "step_rerouted", payload, actor_id=getattr(actor, "id", None))
    await _save(session, instance, transition)
    await record_event(
        session,
        actor=actor,
        tenant_id=tenant_id,
        action="approval_instance.step_rerouted",
        object_type="approval_instance",
        object_id=instance.id,
        summary={"steps": stuck, "leaver_id": leaver, "to": who, "approver_ids": sorted(to)},
    )
    return len(stuck)
