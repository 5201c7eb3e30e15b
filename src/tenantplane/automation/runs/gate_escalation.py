"""Reminders and escalation of an open approval gate, from its durable timer jobs (`gate_opening.GATE_TIMERS`).

Reminders repeat every remind_after_seconds to whoever has not decided, until the gate closes; escalation hands the
gate to its escalate_to targets once (`escalated_at`). Both lock the execution, then the gate, as decisions do.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.approvers import tenant_admins
from tenantplane.approvals.escalation_targets import escalation_targets
from tenantplane.audit.service import record_event
from tenantplane.automation.runs import repository as repo
from tenantplane.automation.runs.gate_opening import ask_to_decide, eligible_users, four_eyes_excluded
from tenantplane.automation.runs.models import ApprovalGate
from tenantplane.automation.runs.state import GATE_REMIND, LoadedRun, load_run, now
from tenantplane.jobs.queue import enqueue
from tenantplane.notifications.service import notify_users


async def _locked(session: AsyncSession, tenant_id: uuid.UUID, gate_id: uuid.UUID) -> tuple[ApprovalGate, LoadedRun]:
    gate = await repo.get_gate(session, tenant_id, gate_id)
    loaded = await load_run(session, tenant_id, gate.execution_id)  # the execution row first: the one lock order
    return await repo.get_gate(session, tenant_id, gate_id, for_update=True), loaded


def _heard(gate: ApprovalGate) -> set[str]:
    """Everyone already heard on the gate, as voter or as the approver a delegate voted for."""
    voters = {str(d["user_id"]) for d in gate.decisions}
    return voters | {str(d.get("on_behalf_of") or d["user_id"]) for d in gate.decisions}


def _link(gate: ApprovalGate) -> str:
    return f"/approvals/gates/{gate.id}"


async def _awaited(session: AsyncSession, gate: ApprovalGate) -> set[str]:
    """Who the gate still waits for: eligible, not heard, not kept out by four-eyes. An `any` approver means the
    whole tenant, so then only the named approvers and those it was escalated to are meant (as when it opened)."""
    waiting = set(gate.eligible) - _heard(gate) - four_eyes_excluded(gate)
    if any(a["type"] == "any" for a in gate.approvers):
        named = [a for a in gate.approvers if a["type"] != "any"]
        told = set(await eligible_users(session, gate.tenant_id, named)) if named else set()
        told |= {u for entry in gate.history if entry["kind"] == "escalated" for u in entry["added"]}
        waiting &= told
    return waiting


def _reminded_for_this_due_time(gate: ApprovalGate, every: float | None) -> bool:
    """Whether a reminder already went out for the due time this one is for (the rule of ITSM steps' reminders): the
    next is due `every` seconds after the last, so one arriving well before that is a second job for the same time."""
    last = [entry["at"] for entry in gate.history if entry["kind"] == "reminded"]
    if not last or not every:
        return False
    return now() < datetime.fromisoformat(last[-1]) + timedelta(seconds=float(every) / 2)


async def remind_gate(session: AsyncSession, *, tenant_id: uuid.UUID, payload: dict[str, Any]) -> bool:
    """Remind whoever has not decided and schedule the next reminder; a closed gate stops its reminders."""
    gate, loaded = await _locked(session, tenant_id, uuid.UUID(str(payload["gate_id"])))
    seconds = loaded.config(gate.step_id).get("remind_after_seconds")
    if gate.status != "pending" or _reminded_for_this_due_time(gate, seconds):
        return False
    waiting = sorted(await _awaited(session, gate))
    gate.history = [*gate.history, {"kind": "reminded", "at": now().isoformat(), "recipients": waiting}]
    await session.flush()
    reminded = [uuid.UUID(u) for u in waiting]
    await ask_to_decide(session, gate, reminded, title=f"Reminder: approval needed: {gate.step_id}", body=gate.message)
    if seconds:
        run_at = now() + timedelta(seconds=float(seconds))
        await enqueue(session, kind=GATE_REMIND, payload=payload, tenant_id=tenant_id, run_at=run_at)
    return True


async def escalate_gate(session: AsyncSession, *, tenant_id: uuid.UUID, gate_id: uuid.UUID) -> bool:
    """Hand the open gate to its escalation targets, once; returns whether anything changed."""
    gate, loaded = await _locked(session, tenant_id, gate_id)
    config = loaded.config(gate.step_id)
    if gate.status != "pending" or gate.escalated_at is not None or not config.get("escalate_to"):
        return False
    excluded, heard, before = four_eyes_excluded(gate), _heard(gate), set(gate.eligible)
    to, label = await escalation_targets(
        session, tenant_id, config["escalate_to"], awaited=frozenset(before - heard - excluded), excluded=excluded
    )
    reason = f"escalated to {label} after {config['escalate_after_seconds']} s without a decision"
    eligible = before | to
    if not to:
        reason += ": nobody to escalate to, so the approvers stay and the tenant admins were told"
    elif config.get("escalation_replaces"):
        approved = {str(d.get("on_behalf_of") or d["user_id"]) for d in gate.decisions if d["decision"] == "approved"}
        if len(approved) + len(to - heard) >= gate.min_approvals:
            eligible = set(to)
        else:
            reason += f" (added to the approvers: too few to replace them for a quorum of {gate.min_approvals})"
    entry = {
        "kind": "escalated",
        "at": now().isoformat(),
        "escalate_to": config["escalate_to"],
        "to": label,
        "reason": reason,
        "added": sorted(eligible - before),
        "removed": sorted(before - eligible),
        "approver_ids": sorted(eligible),
    }
    gate.eligible, gate.escalated_at, gate.history = sorted(eligible), now(), [*gate.history, entry]
    await session.flush()
    if to:  # the new approvers are asked as the first ones were: links, Teams, Slack
        new = [uuid.UUID(u) for u in sorted(eligible - before - heard)]
        title = f"Approval needed: {gate.step_id} (escalated)"
        await ask_to_decide(session, gate, new, title=title, body=f"{gate.message}\n{reason}")
    else:  # nobody to escalate to: the admins are told, not asked
        admins = [uuid.UUID(u) for u in sorted(await tenant_admins(session, tenant_id))]
        subject = f"Approval {gate.step_id} needs attention"
        await notify_users(
            session,
            tenant_id=tenant_id,
            user_ids=admins,
            subject=subject,
            body=f"{gate.message}\n{reason}",
            link=_link(gate),
        )
    await record_event(
        session,
        actor=None,
        tenant_id=tenant_id,
        action="automation_approval.escalated",
        object_type="automation_approval",
        object_id=gate.id,
        summary={**{k: v for k, v in entry.items() if k != "at"}, "execution_id": gate.execution_id},
    )
    return True
