"""Signed action links of ITSM approval steps: issued with each approval notice, shown and decided through
`actionlinks` (the record, its requester and variables, the pinned fulfillment; `decide_step` as the link's person).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.actionlinks.models import ActionLink
from tenantplane.actionlinks.schemas import Fact, NextStep, SubjectRead
from tenantplane.actionlinks.service import CHANNEL, issue_links
from tenantplane.approvals import engine
from tenantplane.approvals import repository as repo
from tenantplane.approvals.approvers import delegators_of, users_by_id
from tenantplane.approvals.definitions import spec_of
from tenantplane.approvals.engine import FourEyesRefused
from tenantplane.approvals.engine.rules import may_decide_at_all, principal_for
from tenantplane.approvals.engine.transitions import FOUR_EYES, FOUR_EYES_FOR
from tenantplane.approvals.errors import engine_refusals
from tenantplane.approvals.hooks import facts_of
from tenantplane.approvals.models import ApprovalInstance
from tenantplane.approvals.service import decide_step
from tenantplane.identity.auth import Principal
from tenantplane.kit.errors import Conflict
from tenantplane.notifications.actions import Action

SUBJECT = "approval_step"


class StepClosed(Conflict):
    problem_type = "approval-closed"
    title = "This approval is no longer open"


async def issue_step_links(
    session: AsyncSession, instance: ApprovalInstance, step_name: str, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Action]]:
    """Approve / reject links of one open step for each person told; none once the step is closed."""
    state = engine.from_dict(instance.state)
    step = next((s for s in state.open_steps() if s.name == step_name), None)
    if instance.status != "pending" or step is None:
        return {}
    version = await repo.get_version(session, instance.tenant_id, instance.definition_id, instance.definition_version)
    timeout = spec_of(version).step(step_name).timeout_seconds
    closes_at: datetime | None = None
    if timeout and step.opened_at is not None:
        closes_at = step.opened_at + timedelta(seconds=timeout)
    return await issue_links(
        session,
        tenant_id=instance.tenant_id,
        subject_type=SUBJECT,
        subject_id=instance.id,
        step_name=step_name,
        user_ids=user_ids,
        closes_at=closes_at,
    )


async def _check_open(session: AsyncSession, instance: ApprovalInstance, link: ActionLink) -> None:
    """409 unless the link's step is open; the engine's own refusal (four-eyes, not an approver, already decided)
    unless its person may decide it now, so the page says why before anyone presses a button."""
    state = engine.from_dict(instance.state)
    if instance.status != "pending":
        raise StepClosed(f"This approval is already {instance.status}; the link decides nothing.")
    step = next((s for s in state.open_steps() if s.name == link.step_name), None)
    if step is None:
        found = next((s for s in state.steps if s.name == link.step_name), None)
        status = found.status if found else "gone"
        raise StepClosed(f"The step {link.step_name} is no longer open ({status}); the link decides nothing.")
    version = await repo.get_version(session, instance.tenant_id, instance.definition_id, instance.definition_version)
    me = str(link.user_id)
    with engine_refusals():
        if not may_decide_at_all(spec_of(version), state, me):
            raise FourEyesRefused(FOUR_EYES if me == state.requester_id else FOUR_EYES_FOR)
        principal_for(step, me, await delegators_of(session, instance.tenant_id, link.user_id))


async def describe_step(session: AsyncSession, link: ActionLink, require_open: bool) -> SubjectRead:
    instance = await repo.get_instance(session, link.tenant_id, link.subject_id)
    if require_open:
        await _check_open(session, instance, link)
    requester = (await users_by_id(session, instance.tenant_id, [str(instance.requester_id)])).get(
        str(instance.requester_id)
    )
    facts = [
        Fact(label="Record", value=f"{instance.record_type} {instance.record_id}"),
        Fact(label="Requested by", value=f"{requester.display_name} <{requester.email}>" if requester else "unknown"),
        Fact(label="Step", value=link.step_name or ""),
    ]
    fulfillment = (await facts_of(session, instance.tenant_id, [instance])).get(instance.record_id)
    next_steps: list[NextStep] = []
    if fulfillment is not None:
        facts.append(Fact(label="Fulfilled by", value=fulfillment.type))
        target = fulfillment.runbook or fulfillment.workflow
        if target is not None:
            next_steps.append(
                NextStep(
                    step_id="fulfillment",
                    runbook=target.name,
                    runbook_version=target.version,
                    parameters=fulfillment.parameters or {},
                )
            )
    return SubjectRead(
        kind="approval_step",
        title=instance.title or f"{instance.record_type} {instance.record_id}",
        step=link.step_name,
        status=instance.status,
        facts=facts,
        variables=instance.variables,
        next_steps=next_steps,
    )


async def decide_by_step_link(session: AsyncSession, person: Principal, link: ActionLink, comment: str | None) -> str:
    instance = await repo.get_instance(session, link.tenant_id, link.subject_id, lock=True)
    await _check_open(session, instance, link)
    decided = await decide_step(
        session,
        actor=person,
        instance_id=link.subject_id,
        outcome="approved" if link.decision == "approved" else "rejected",
        comment=comment,
        step_name=link.step_name,
        channel=CHANNEL,
    )
    return decided.status
