"""Approval gates of automation workflows: open one per approval step attempt, decide it, time it out.

Decisions lock the execution row, then the gate row, so concurrent decisions never double-count. Four-eyes: nobody
in the chain that caused the execution (executions.causes) decides its gates, unless the workflow allows it.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.approvers import delegators_of, resolve_approvers
from tenantplane.audit.service import record_event
from tenantplane.automation import engine
from tenantplane.automation import repository as repo
from tenantplane.automation.expressions import TemplateFailed, render_async
from tenantplane.automation.models import ApprovalGate
from tenantplane.automation.pins import versions_to_show
from tenantplane.automation.runs import GATE_TIMEOUT, GATE_UNDECIDABLE, LoadedRun, load_run, now
from tenantplane.automation.service import apply_event
from tenantplane.executions import causes
from tenantplane.executions.models import Execution
from tenantplane.identity.auth import Principal
from tenantplane.jobs.queue import enqueue
from tenantplane.kit.errors import Conflict, Forbidden, ValidationFailed
from tenantplane.notifications.service import notify_users

DEFAULT_MESSAGE = "Approval needed to continue the workflow."


class GateClosed(Conflict):
    problem_type = "approval-closed"
    title = "This approval is no longer open"


class FourEyes(Forbidden):
    problem_type = "four-eyes"
    title = "Refused by the four-eyes rule"


def chain_of(row: Execution | ApprovalGate) -> list[dict[str, str]]:
    """Who caused the execution (of the gate): its chain, and whoever started it by hand."""
    return causes.with_starter(row.caused_by, row.started_by)


def _four_eyes_excluded(gate: ApprovalGate) -> frozenset[str]:
    """Who may not decide the gate (nobody when the workflow allows self-approval)."""
    return frozenset() if gate.allow_self_approval else causes.chain_ids(chain_of(gate))


async def open_gate(session: AsyncSession, loaded: LoadedRun, step_id: str, attempt: int) -> ApprovalGate | None:
    """A pending gate naming who may decide now and what they approve; approvers are told.

    A gate nobody could ever decide (no approver resolves, or fewer possible approvers than `min_approvals`)
    is not opened: the step fails at once with the reason, as an ITSM step with no approver does (never
    approved by default, never waiting for ever).
    """
    execution, config, context = loaded.execution, loaded.config(step_id), loaded.context()
    approvers = list(config.get("approvers", []))
    eligible = await eligible_users(session, execution.tenant_id, approvers)
    if why := _undecidable(loaded, config, eligible):
        payload = {"execution_id": str(execution.id), "step_id": step_id, "attempt": attempt, "reason": why}
        await enqueue(session, kind=GATE_UNDECIDABLE, payload=payload, tenant_id=execution.tenant_id)
        return None
    try:
        message = str(await render_async(config.get("message") or DEFAULT_MESSAGE, context))
    except TemplateFailed as error:
        message = f"{config.get('message')} (the message template failed: {error})"
    gate = ApprovalGate(
        tenant_id=execution.tenant_id,
        execution_id=execution.id,
        step_id=step_id,
        attempt=attempt,
        status="pending",
        message=message,
        approvers=approvers,
        eligible=sorted(eligible),
        min_approvals=int(config.get("min_approvals", 1)),
        subject=await _what_is_approved(session, loaded, step_id, context),
        started_by=execution.started_by,
        caused_by=chain_of(execution),
        allow_self_approval=bool(loaded.definition.get("allow_self_approval", False)),
        decisions=[],
    )
    session.add(gate)
    await session.flush()
    # Told: the approvers a step names (an `any` approver would mean every user of the tenant).
    named = [a for a in approvers if a["type"] != "any"]
    told = await eligible_users(session, execution.tenant_id, named) if named else frozenset()
    excluded = _four_eyes_excluded(gate)
    deciders = [uuid.UUID(u) for u in sorted(told) if u not in excluded]
    link = f"/approvals/gates/{gate.id}"  # the gate's page in the web UI
    await notify_users(
        session,
        tenant_id=execution.tenant_id,
        user_ids=deciders,
        subject=f"Approval needed: {step_id}",
        body=_notice(message, gate.subject),
        link=link,
    )
    if config.get("timeout_seconds"):
        payload = {"execution_id": str(execution.id), "step_id": step_id, "attempt": attempt, "gate_id": str(gate.id)}
        run_at = now() + timedelta(seconds=float(config["timeout_seconds"]))
        await enqueue(session, kind=GATE_TIMEOUT, payload=payload, tenant_id=execution.tenant_id, run_at=run_at)
    return gate


def _undecidable(loaded: LoadedRun, config: dict[str, Any], eligible: frozenset[str]) -> str | None:
    """Why nobody could ever decide this gate, or None. Delegates vote for an eligible approver, never beside,
    and four-eyes keeps the whole chain that caused the execution out."""
    needed = int(config.get("min_approvals", 1))
    self_approval = bool(loaded.definition.get("allow_self_approval", False))
    chain = [] if self_approval else chain_of(loaded.execution)
    possible = eligible - causes.chain_ids(chain)
    if len(possible) >= needed:
        return None
    kept_out = [entry for entry in chain if entry["user_id"] in eligible]
    if not eligible:
        who = "no active user matches its approvers"
    elif not possible and len(kept_out) == 1:
        who = f"its only possible approver {causes.role_fact(kept_out[0]['role'])} (four-eyes)"
    elif not possible:
        roles = ", ".join(causes.role_words(entry["role"]) for entry in kept_out)
        who = f"its only possible approvers caused the execution ({roles}; four-eyes)"
    else:
        who = f"only {len(possible)} people can approve it (four-eyes excludes who caused the execution)"
    return f"nobody can decide this approval: {who}, and it needs {needed}"


def _notice(message: str, subject: dict[str, Any]) -> str:
    """The approvers' notice: the message, then what runs once they approve (rendered parameters)."""
    lines = [message]
    for next_step in subject["next_steps"]:
        parameters = json.dumps(next_step["parameters"], sort_keys=True, default=str)
        runbook = next_step.get("runbook") or next_step["runbook_id"]
        version = f" v{next_step['runbook_version']}" if next_step.get("runbook_version") else ""
        lines.append(f"Then step '{next_step['step_id']}' runs runbook {runbook}{version} with {parameters}")
    return "\n".join(lines)


async def eligible_users(
    session: AsyncSession, tenant_id: uuid.UUID, approvers: list[dict[str, Any]]
) -> frozenset[str]:
    """Everyone the gate's approvers name now, the chain included (four-eyes is applied where they decide)."""
    steps = [
        {"name": str(j), "approver_type": a["type"], "approver_value": a.get("value")} for j, a in enumerate(approvers)
    ]
    # Automation approvers are user/group/role/any: there is no `manager` to resolve, so nobody's manager.
    nobody = uuid.UUID(int=0)
    resolved = await resolve_approvers(session, tenant_id, steps, [s["name"] for s in steps], nobody)
    return frozenset().union(*resolved.values()) if resolved else frozenset()


async def _what_is_approved(
    session: AsyncSession, loaded: LoadedRun, step_id: str, context: dict[str, Any]
) -> dict[str, Any]:
    """The workflow, the inputs, and the runbook steps the gate leads to with their rendered parameters: what an
    approver sees even when they may not read the workflow or the execution themselves."""
    execution = loaded.execution
    assert execution.workflow_id is not None  # a gate belongs to a workflow execution
    workflow = await repo.get_workflow(session, execution.tenant_id, execution.workflow_id)
    next_steps: list[dict[str, Any]] = []
    for k in loaded.graph.outgoing(step_id):
        target = loaded.graph.edges[k].target
        if loaded.graph.step(target).type != "runbook":
            continue
        config = loaded.config(target)
        # What the step after the gate runs once it is decided: this version with exactly these parameters.
        entry: dict[str, Any] = {"step_id": target, "runbook_id": config.get("runbook_id")}
        try:
            entry["parameters"] = await render_async(config.get("parameters", {}), context)
        except TemplateFailed as error:
            entry["parameters"], entry["error"] = {"error": str(error)}, str(error)
        entry["runbook_version"] = loaded.step_runs[target].runbook_version
        next_steps.append(entry)
    ids = [uuid.UUID(str(s["runbook_id"])) for s in next_steps if s["runbook_id"]]
    known = await versions_to_show(session, loaded, ids)
    for next_step in next_steps:
        name, current = known.get(str(next_step["runbook_id"]), (None, None))
        next_step["runbook"] = name
        # A step with no pin (its execution started before steps were pinned) runs the version of now.
        next_step["runbook_version"] = next_step["runbook_version"] or current
    about = {"id": str(workflow.id), "name": workflow.name}
    return {
        "workflow": about | {"version": execution.workflow_version},
        "inputs": context["inputs"],
        "next_steps": next_steps,
    }


async def decide_gate(
    session: AsyncSession,
    *,
    actor: Principal,
    gate_id: uuid.UUID,
    verdict: Literal["approved", "rejected"],
    comment: str | None,
) -> ApprovalGate:
    """One decision: eligible approver, nobody who caused the execution (four-eyes), once per user; quorum approves."""
    gate = await repo.get_gate(session, actor.tenant, gate_id)
    await load_run(session, actor.tenant, gate.execution_id)  # the execution row first: the one lock order
    gate = await repo.get_gate(session, actor.tenant, gate_id, for_update=True)
    if gate.status != "pending":
        raise GateClosed(f"This approval is already {gate.status}.")
    if verdict == "rejected" and not comment:
        raise ValidationFailed.field("comment", "a rejection needs a comment")
    if str(actor.id) in _four_eyes_excluded(gate):
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
    }
    gate.decisions = [*gate.decisions, decision]
    approvals = len({_vote_of(d) for d in gate.decisions if d["decision"] == "approved"})
    if verdict == "rejected" or approvals >= gate.min_approvals:
        gate.status, gate.decided_at = verdict, now()
    await session.flush()
    if gate.status != "pending":
        event = engine.ApprovalDecided(gate.step_id, verdict, attempt=gate.attempt)
        await apply_event(session, tenant_id=actor.tenant, execution_id=gate.execution_id, event=event)
    await record_event(
        session,
        actor=actor,
        action=f"automation_approval.{'approved' if verdict == 'approved' else 'rejected'}",
        object_type="automation_approval",
        object_id=gate.id,
        summary={"execution_id": gate.execution_id, "step_id": gate.step_id, "status": gate.status},
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
    absent = (set(gate.eligible) & await delegators_of(session, actor.tenant, actor.id)) - _four_eyes_excluded(gate)
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
    event = engine.ApprovalTimedOut(gate.step_id, attempt=gate.attempt)
    await apply_event(session, tenant_id=tenant_id, execution_id=gate.execution_id, event=event)


async def gate_undecidable(session: AsyncSession, *, tenant_id: uuid.UUID, payload: dict[str, Any]) -> None:
    """Fails the gate's step (its attempt, if still waiting) with the reason nobody can decide it."""
    execution_id = uuid.UUID(str(payload["execution_id"]))
    event = engine.StepFinished(str(payload["step_id"]), "failed", attempt=int(payload["attempt"]))
    await apply_event(session, tenant_id=tenant_id, execution_id=execution_id, event=event, reason=payload["reason"])
