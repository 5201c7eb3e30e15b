"""Escalation of an ITSM approval step once its escalate_after passed: the step is handed to its escalate_to targets.

Runs in the `approvals.escalate` job under the instance's row lock; the engine makes it once per step (a late,
duplicate or stale job changes nothing). Recorded on the timeline (`step_escalated`) and audited as the system.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.effects import record_approval_event
from tenantplane.approvals.engine import EscalationDue, four_eyes_excluded, undecided_approvers
from tenantplane.approvals.escalation_targets import escalation_targets
from tenantplane.approvals.service import _approvers_for, _now, _save, _transition, lock_instance
from tenantplane.audit.service import record_event


async def escalate_step(session: AsyncSession, *, tenant_id: uuid.UUID, instance_id: uuid.UUID, step_name: str) -> bool:
    """Hand the open step to its escalation targets; returns whether anything changed."""
    locked = await lock_instance(session, tenant_id, instance_id)
    state, spec = locked.state, locked.spec.step(step_name)
    step = state.step(step_name)
    if step not in state.open_steps() or step.escalation is not None or spec.escalate_to is None:
        return False  # decided, moved on or escalated already (before any directory lookup)
    excluded = frozenset() if locked.spec.allow_self_approval else four_eyes_excluded(state)
    to, label = await escalation_targets(
        session, tenant_id, spec.escalate_to, awaited=undecided_approvers(step), excluded=excluded
    )
    reason = f"escalated to {label} after {spec.escalate_after_seconds} s without a decision"
    approvers = await _approvers_for(session, locked)
    event = EscalationDue(step_name=step_name, to=to, reason=reason, now=_now(), approvers=approvers)
    transition = _transition(locked, event)
    escalated = transition.state.step(step_name)
    before = step.eligible_ids or frozenset()
    after = escalated.eligible_ids or frozenset()
    payload = {
        "step_name": step_name,
        "escalate_to": spec.escalate_to,
        "to": label,
        "reason": escalated.escalation,
        "added": sorted(after - before),
        "removed": sorted(before - after),
        "approver_ids": sorted(after),
    }
    instance = locked.instance
    await record_approval_event(session, instance, "step_escalated", payload)
    await _save(session, instance, transition)
    await record_event(
        session,
        actor=None,
        tenant_id=tenant_id,
        action="approval_instance.step_escalated",
        object_type="approval_instance",
        object_id=instance.id,
        summary=payload,
    )
    return True
