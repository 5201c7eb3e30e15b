"""Approval gates of automation workflows: decide one, time it out (opening one is `gate_opening.py`).

Decisions lock the execution row, then the gate row, so concurrent decisions never double-count. Four-eyes: nobody
in the chain that caused the execution (executions.causes) decides its gates, unless the workflow allows it.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.approvers import delegators_of
from tenantplane.audit.service import record_event
from tenantplane.automation import engine
from tenantplane.automation.runs import repository as repo
from tenantplane.automation.runs.gate_opening import chain_of, four_eyes_excluded
from tenantplane.automation.runs.models import ApprovalGate
from tenantplane.automation.runs.service import apply_event
from tenantplane.automation.runs.state import load_run, now
from tenantplane.executions import causes
from tenantplane.identity.auth import Principal
from tenantplane.kit.errors import Conflict, Forbidden, ValidationFailed
from tenantplane.notifications.slack.notices import GATE, Subject, record_outcome


class GateClosed(Conflict):
    problem_type = "approval-closed"
    title = "This approval is no longer open"


class FourEyes(Forbidden):
    problem_type = "four-eyes"
    title = "Refused by the four-eyes rule"


async def decide_gate(
    session: AsyncSession,
    *,
    actor: Principal,
    gate_id: uuid.UUID,
    verdict: Literal["approved", "rejected"],
    comment: str | None,
    channel: str = "api",
) -> ApprovalGate:
    """One decision: eligible approver, nobody who caused the execution (four-eyes), once per user; quorum approves.

    `channel`: where the decision was made (`api`, `action_link`, `slack`), kept in the decision and the audit event.
    """
    gate = await repo.get_gate(session, actor.tenant, gate_id)
    await load_run(session, actor.tenant, gate.execution_id)  # the execution row first: the one lock order
    gate = await repo.get_gate(session, actor.tenant, gate_id, for_update=True)
    if gate.status != "pending":
        raise GateClosed(f"This approval is already {gate.status}.")
    if verdict == "rejected" and not comment:
        raise ValidationFailed.field("comment", "a rejection needs a comment")
    if str(actor.id) in four_eyes_excluded(gate):
        reason = causes.refusal_reason(chain_of(gate), str(actor.id)) or "you caused this execution"
        raise FourEyes(
            f"Four-eyes rule: {reason}, so you may not decide its approval gates (not even as someone's delegate); "
            "another approver has to."
        )
    voter = await _voter(session, actor, gate)
    decision = {
        "user_id": str(actor.id),
        "user": actor.label,
        "on_behalf_of": voter if voter != str(actor.id) else None,
        "decision": verdict,
        "comment": comment,
        "at": now().isoformat(),
        "channel": channel,
    }
    gate.decisions = [*gate.decisions, decision]
    approvals = len({_vote_of(d) for d in gate.decisions if d["decision"] == "approved"})
    if verdict == "rejected" or approvals >= gate.min_approvals:
        gate.status, gate.decided_at = verdict, now()
    await session.flush()
    if gate.status != "pending":
        event = engine.ApprovalDecided(gate.step_id, verdict, attempt=gate.attempt)
        await apply_event(session, tenant_id=actor.tenant, execution_id=gate.execution_id, event=event)
    # The gate's Slack DMs show the outcome (the decider's own ones already while a quorum is still open).
    outcome = {"status": gate.status if gate.status != "pending" else verdict, "by": actor.label, "comment": comment}
    only = None if gate.status != "pending" else actor.id
    await record_outcome(session, tenant_id=actor.tenant, subject=Subject(GATE, gate.id), outcome=outcome, user_id=only)
    await record_event(
        session,
        actor=actor,
        action=f"automation_approval.{'approved' if verdict == 'approved' else 'rejected'}",
        object_type="automation_approval",
        object_id=gate.id,
        summary={
            "execution_id": gate.execution_id,
            "step_id": gate.step_id,
            "status": gate.status,
            "channel": channel,
        },
    )
    return gate


def _vote_of(decision: dict[str, Any]) -> str:
    """Whose vote a decision is: the approver's own, or the absent approver a delegate stood in for."""
    return str(decision.get("on_behalf_of") or decision["user_id"])


async def _voter(session: AsyncSession, actor: Principal, gate: ApprovalGate) -> str:
    """The eligible approver whose vote this is (the actor, or one they are a delegate of); 403/409 otherwise."""
    voted = {_vote_of(d) for d in gate.decisions} | {str(d["user_id"]) for d in gate.decisions}
    me = str(actor.id)
    if me in gate.eligible:
        if me in voted:
            raise GateClosed("You already decided this approval.")
        return me
    # A delegate never votes for someone four-eyes keeps off the gate (they could not vote themselves).
    absent = (set(gate.eligible) & await delegators_of(session, actor.tenant, actor.id)) - four_eyes_excluded(gate)
    if not absent:
        raise Forbidden("You are not an approver of this gate.")
    open_votes = sorted(absent - voted)
    if not open_votes or me in voted:
        raise GateClosed("You already decided this approval.")
    return open_votes[0]


async def gate_timed_out(session: AsyncSession, *, tenant_id: uuid.UUID, gate_id: uuid.UUID) -> None:
    gate = await repo.get_gate(session, tenant_id, gate_id)
    await load_run(session, tenant_id, gate.execution_id)
    gate = await repo.get_gate(session, tenant_id, gate_id, for_update=True)
    if gate.status != "pending":
        return
    gate.status, gate.decided_at = "timed_out", now()
    await session.flush()
    outcome = {"status": "timed_out", "by": None, "comment": None}
    await record_outcome(session, tenant_id=tenant_id, subject=Subject(GATE, gate.id), outcome=outcome)
    event = engine.ApprovalTimedOut(gate.step_id, attempt=gate.attempt)
    await apply_event(session, tenant_id=tenant_id, execution_id=gate.execution_id, event=event)


async def gate_undecidable(session: AsyncSession, *, tenant_id: uuid.UUID, payload: dict[str, Any]) -> None:
    """Fails the gate's step (its attempt, if still waiting) with the reason nobody can decide it."""
    execution_id = uuid.UUID(str(payload["execution_id"]))
    event = engine.StepFinished(str(payload["step_id"]), "failed", attempt=int(payload["attempt"]))
    await apply_event(session, tenant_id=tenant_id, execution_id=execution_id, event=event, reason=payload["reason"])
