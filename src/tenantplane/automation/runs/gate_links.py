"""Signed action links of approval gates: what the confirmation page shows (the workflow, the execution, the
message, the pinned runbooks and rendered parameters) and the decision, through `decide_gate` as the link's person.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.actionlinks.models import ActionLink
from tenantplane.actionlinks.schemas import Fact, NextStep, SubjectRead
from tenantplane.actionlinks.service import CHANNEL
from tenantplane.automation.runs import repository as repo
from tenantplane.automation.runs.gate_opening import four_eyes_excluded
from tenantplane.automation.runs.gates import FourEyes, GateClosed, decide_gate
from tenantplane.identity.auth import Principal


def _next_step(entry: dict[str, Any]) -> NextStep:
    version = entry.get("runbook_version")
    return NextStep(
        step_id=str(entry.get("step_id", "")),
        runbook=str(entry.get("runbook") or entry.get("runbook_id") or "") or None,
        runbook_version=int(version) if version else None,
        parameters=dict(entry.get("parameters") or {}),
    )


async def describe_gate(session: AsyncSession, link: ActionLink, require_open: bool) -> SubjectRead:
    gate = await repo.get_gate(session, link.tenant_id, link.subject_id)
    if require_open and gate.status != "pending":
        raise GateClosed(f"This approval is already {gate.status}; the link decides nothing.")
    if require_open and str(link.user_id) in four_eyes_excluded(gate):
        raise FourEyes("Four-eyes rule: you caused this execution, so you may not decide its approval gates.")
    if require_open and any(str(link.user_id) in (d["user_id"], d.get("on_behalf_of")) for d in gate.decisions):
        raise GateClosed("You already decided this approval.")
    workflow = dict(gate.subject.get("workflow") or {})
    facts = [
        Fact(label="Workflow", value=f"{workflow.get('name', '')} v{workflow.get('version', '')}".strip()),
        Fact(label="Execution", value=str(gate.execution_id)),
        Fact(label="Step", value=gate.step_id),
    ]
    return SubjectRead(
        kind="gate",
        title=f"{workflow.get('name') or 'Workflow'}: {gate.step_id}",
        step=gate.step_id,
        status=gate.status,
        message=gate.message,
        facts=facts,
        variables=dict(gate.subject.get("inputs") or {}),
        next_steps=[_next_step(entry) for entry in gate.subject.get("next_steps", [])],
    )


async def decide_by_gate_link(session: AsyncSession, person: Principal, link: ActionLink, comment: str | None) -> str:
    gate = await decide_gate(
        session,
        actor=person,
        gate_id=link.subject_id,
        verdict="approved" if link.decision == "approved" else "rejected",
        comment=comment,
        channel=CHANNEL,
    )
    return gate.status
