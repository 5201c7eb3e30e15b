"""Opening an approval gate: who may decide it, what they approve (pinned versions, rendered parameters), who is told.

Called by `service.apply_event` when the engine opens an approval step; it never applies an event itself (a gate
nobody could decide enqueues its failure), so it sits below the service. Deciding a gate is `gates.py`.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.actionlinks.service import issue_links
from tenantplane.approvals.approvers import resolve_approvers
from tenantplane.automation.definitions import repository as repo
from tenantplane.automation.engine.expressions import TemplateFailed, render_async
from tenantplane.automation.runs.models import ApprovalGate
from tenantplane.automation.runs.pins import versions_to_show
from tenantplane.automation.runs.state import (
    GATE_ESCALATE,
    GATE_REMIND,
    GATE_TIMEOUT,
    GATE_UNDECIDABLE,
    LoadedRun,
    now,
)
from tenantplane.executions import causes
from tenantplane.executions.models import Execution
from tenantplane.jobs.queue import enqueue
from tenantplane.notifications.service import notify_users
from tenantplane.notifications.slack.notices import GATE, Subject, queue_approval_dms

DEFAULT_MESSAGE = "Approval needed to continue the workflow."
GATE_LINKS = "gate"  # the subject type of a gate's signed action links (runs/gate_links.py)
# The durable timers of an open gate (config key in seconds → job), each due that long after the gate opened.
GATE_TIMERS = (
    ("timeout_seconds", GATE_TIMEOUT),
    ("remind_after_seconds", GATE_REMIND),
    ("escalate_after_seconds", GATE_ESCALATE),
)


def chain_of(row: Execution | ApprovalGate) -> list[dict[str, str]]:
    """Who caused the execution (of the gate): its chain, and whoever started it by hand."""
    return causes.with_starter(row.caused_by, row.started_by)


def four_eyes_excluded(gate: ApprovalGate) -> frozenset[str]:
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
    excluded = four_eyes_excluded(gate)
    deciders = [uuid.UUID(u) for u in sorted(told) if u not in excluded]
    closes_at = now() + timedelta(seconds=float(config["timeout_seconds"])) if config.get("timeout_seconds") else None
    await ask_to_decide(
        session,
        gate,
        deciders,
        title=f"Approval needed: {step_id}",
        body=_notice(message, gate.subject),
        closes_at=closes_at,
    )
    payload = {"execution_id": str(execution.id), "step_id": step_id, "attempt": attempt, "gate_id": str(gate.id)}
    for key, kind in GATE_TIMERS:
        if config.get(key):
            due = now() + timedelta(seconds=float(config[key]))
            await enqueue(session, kind=kind, payload=payload, tenant_id=execution.tenant_id, run_at=due)
    return gate


async def ask_to_decide(
    session: AsyncSession,
    gate: ApprovalGate,
    deciders: list[uuid.UUID],
    *,
    title: str,
    body: str,
    closes_at: datetime | None = None,
) -> None:
    """A notice asking these people to decide the gate, wherever they are: the inbox, e-mail with their own signed
    approve / reject links, Teams, and a Slack DM with buttons. The same for the gate's opening, reminders and
    escalation."""
    link = f"/approvals/gates/{gate.id}"  # the gate's page in the web UI
    actions = await issue_links(
        session,
        tenant_id=gate.tenant_id,
        subject_type=GATE_LINKS,
        subject_id=gate.id,
        user_ids=deciders,
        closes_at=closes_at,
    )
    await notify_users(
        session, tenant_id=gate.tenant_id, user_ids=deciders, subject=title, body=body, link=link, actions=actions
    )
    await queue_approval_dms(
        session,
        tenant_id=gate.tenant_id,
        user_ids=deciders,
        subject=Subject(GATE, gate.id),
        title=title,
        body=body,
        link=link,
    )


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
    await loaded.load_step_runs(session, [loaded.graph.edges[k].target for k in loaded.graph.outgoing(step_id)])
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
