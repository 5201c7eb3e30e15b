"""Approval instances: start one for a record, decide a step, cancel, refresh approvers, apply due timers.

Every change locks the instance row (SELECT … FOR UPDATE), applies the pure engine, then saves the new state,
who may decide now (approval_assignments) and the engine's effects, all in the caller's transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals import engine
from tenantplane.approvals import repository as repo
from tenantplane.approvals.approvers import delegators_of, manager_subject, resolve_approvers
from tenantplane.approvals.definitions import spec_of
from tenantplane.approvals.effects import carry_out, record_approval_event
from tenantplane.approvals.engine import (
    Cancel,
    Decide,
    DefinitionSpec,
    Event,
    InstanceState,
    Outcome,
    RefreshApprovers,
    ReminderDue,
    Start,
    StepTimedOut,
    Transition,
)
from tenantplane.approvals.errors import engine_refusals
from tenantplane.approvals.hooks import run_rung_hooks, rung_moved
from tenantplane.approvals.models import ApprovalDefinition, ApprovalDefinitionVersion, ApprovalInstance
from tenantplane.approvals.slack import show_outcome
from tenantplane.approvals.starting import plan_start, refuse_archived, who_may_decide, write_start
from tenantplane.audit.service import record_event
from tenantplane.identity.auth import Principal
from tenantplane.identity.models import User
from tenantplane.identity.repository import users_of
from tenantplane.kit.errors import Forbidden, ValidationFailed

Timer = Literal["timeout", "reminder"]


@dataclass(frozen=True)
class LockedInstance:
    """An instance whose row this transaction holds, with the definition version it runs."""

    instance: ApprovalInstance
    version: ApprovalDefinitionVersion
    spec: DefinitionSpec
    state: InstanceState


def _now() -> datetime:
    return datetime.now(UTC)


async def _save(
    session: AsyncSession, instance: ApprovalInstance, transition: Transition, *, run_hooks: bool = True
) -> None:
    state, before = transition.state, instance.current_step
    instance.state = engine.to_dict(state)
    instance.status = state.status
    instance.current_step = state.current_step
    instance.finished_at = state.finished_at
    await session.flush()
    await repo.rewrite_assignments(session, instance, who_may_decide(state))
    # A rung that ends (or opens) tells the record's domain before the finished hooks move the record itself.
    await run_rung_hooks(session, rung_moved(instance, before, _now()))
    await carry_out(session, instance, transition.effects, run_hooks=run_hooks)


async def start_workflow_instance(
    session: AsyncSession,
    *,
    definition: ApprovalDefinition,
    record_type: str,
    record_id: uuid.UUID,
    requester_id: uuid.UUID,
    variables: dict[str, Any] | None = None,
    title: str | None = None,
    requested_for_id: uuid.UUID | None = None,
    version: ApprovalDefinitionVersion | None = None,
) -> ApprovalInstance:
    """Start approving a record with the definition's current version (`version`, if the caller has loaded it), in
    the caller's transaction.

    `requested_for_id`: the person the record is for, when not the requester: four-eyes refuses them too and a
    `manager` step means their manager. Writes no audit event (the caller's own mutation does). Raises
    ValidationFailed (422) naming `definition_id` for an archived definition or `requester_id` /
    `requested_for_id` for a user outside the definition's tenant.
    If every step is skipped at once the instance finishes here and the finished hooks run before this returns.
    """
    tenant_id = definition.tenant_id
    refuse_archived(definition)
    people = {requester_id, requested_for_id} - {None}
    found = {u.id: u for u in (await session.scalars(users_of(tenant_id).where(User.id.in_(people)))).all()}
    for name, user_id in (("requester_id", requester_id), ("requested_for_id", requested_for_id)):
        if user_id is not None and user_id not in found:
            raise ValidationFailed.field(name, f"no user {user_id} in this tenant")
    if version is None or (version.definition_id, version.version) != (definition.id, definition.version):
        version = await repo.get_version(session, tenant_id, definition.id, definition.version)
    plan = await plan_start(
        session,
        definition=definition,
        version=version,
        record_type=record_type,
        record_id=record_id,
        requester=found[requester_id],
        requested_for_id=requested_for_id,
        variables=variables,
        title=title,
    )
    if plan is not None:
        return await write_start(session, plan)
    if requested_for_id == requester_id:
        requested_for_id = None
    return await _start_by_effects(
        session,
        version=version,
        record_type=record_type,
        record_id=record_id,
        requester_id=requester_id,
        requested_for_id=requested_for_id,
        variables=variables,
        title=title,
    )


async def _start_by_effects(
    session: AsyncSession,
    *,
    version: ApprovalDefinitionVersion,
    record_type: str,
    record_id: uuid.UUID,
    requester_id: uuid.UUID,
    requested_for_id: uuid.UUID | None,
    variables: dict[str, Any] | None,
    title: str | None,
) -> ApprovalInstance:
    """A start whose effects need more than rows (a flagged step, the finished hooks): carried out one by one."""
    spec = spec_of(version)
    fresh = engine.new_instance(spec, str(requester_id), str(requested_for_id) if requested_for_id else None)
    manager_of = manager_subject(requester_id, requested_for_id)
    approvers = await resolve_approvers(
        session, version.tenant_id, version.steps, engine.steps_to_resolve(fresh), manager_of
    )
    with engine_refusals():
        transition = engine.apply(spec, fresh, Start(now=_now(), approvers=approvers))
    instance = ApprovalInstance(
        tenant_id=version.tenant_id,
        definition_id=version.definition_id,
        definition_version=version.version,
        record_type=record_type,
        record_id=record_id,
        title=title,
        requester_id=requester_id,
        requested_for_id=requested_for_id,
        variables=variables or {},
        state=engine.to_dict(fresh),
        status="pending",
    )
    session.add(instance)
    await session.flush()
    started = {"definition_version": version.version, "requester_id": str(requester_id)}
    if requested_for_id is not None:
        started["requested_for_id"] = str(requested_for_id)
    await record_approval_event(session, instance, "started", started, actor_id=requester_id)
    await _save(session, instance, transition)
    return instance


async def lock_instance(session: AsyncSession, tenant_id: uuid.UUID, instance_id: uuid.UUID) -> LockedInstance:
    """Lock the instance row until the transaction ends: concurrent changes queue here, one at a time."""
    instance = await repo.get_instance(session, tenant_id, instance_id, lock=True)
    version = await repo.get_version(session, tenant_id, instance.definition_id, instance.definition_version)
    return LockedInstance(instance, version, spec_of(version), engine.from_dict(instance.state))


async def _approvers_for(
    session: AsyncSession, locked: LockedInstance, *, fresh: bool = False
) -> dict[str, frozenset[str]]:
    """Approver sets for the event: resolved now for steps not yet reached (all pending ones when `fresh`).

    Steps already opened keep their snapshot (the engine reads a step's set only when its order opens).
    """
    opened: dict[str, frozenset[str]] = {}
    if not fresh:
        opened = {s.name: s.eligible_ids for s in locked.state.steps if s.eligible_ids is not None}
    unopened = [name for name in engine.steps_to_resolve(locked.state) if name not in opened]
    manager_of = manager_subject(locked.instance.requester_id, locked.instance.requested_for_id)
    resolved = await resolve_approvers(session, locked.instance.tenant_id, locked.version.steps, unopened, manager_of)
    return {**opened, **resolved}


def _transition(locked: LockedInstance, event: Event) -> Transition:
    with engine_refusals():
        return engine.apply(locked.spec, locked.state, event)


async def decide_step(
    session: AsyncSession,
    *,
    actor: Principal,
    instance_id: uuid.UUID,
    outcome: Outcome,
    comment: str | None = None,
    step_name: str | None = None,
    channel: str = "api",
) -> ApprovalInstance:
    """Approve or reject the open step(s) the actor may decide (or the one named), as themselves or a delegate.

    `channel`: where the decision was made (`api`, `action_link`, …), kept on each decision of the timeline and in
    the audit event."""
    locked = await lock_instance(session, actor.tenant, instance_id)
    delegators = await delegators_of(session, actor.tenant, actor.id)
    approvers = await _approvers_for(session, locked)
    with engine_refusals():
        event = Decide(
            actor_id=str(actor.id),
            outcome=outcome,
            now=_now(),
            comment=comment,
            step_name=step_name,
            delegators=delegators,
            approvers=approvers,
        )
    transition = _transition(locked, event)
    decided = [{**d, "channel": channel} for d in _new_decisions(locked.state, transition.state)]
    instance = locked.instance
    await record_approval_event(session, instance, "decided", {"decisions": decided}, actor_id=actor.id)
    await _save(session, instance, transition)
    await show_outcome(
        session, instance, locked.state, transition.state, by=actor.label, comment=comment, actor_id=actor.id
    )
    await record_event(
        session,
        actor=actor,
        action=f"approval_instance.{outcome}",
        object_type="approval_instance",
        object_id=instance.id,
        summary={
            "decisions": decided,
            "status": instance.status,
            "current_step": instance.current_step,
            "channel": channel,
        },
    )
    return instance


def _new_decisions(before: InstanceState, after: InstanceState) -> list[dict[str, Any]]:
    made: list[dict[str, Any]] = []
    for old, new in zip(engine.step_results(before), engine.step_results(after), strict=True):
        made.extend({"step": new["name"], **d} for d in new["decisions"][len(old["decisions"]) :])
    return made


async def cancel_instance(
    session: AsyncSession,
    *,
    actor: Principal,
    instance: ApprovalInstance,
    comment: str | None = None,
    run_hooks: bool = True,
) -> ApprovalInstance:
    """Cancel a pending instance in the caller's transaction (409 if it is not pending).

    For other modules (cancelling a service request cancels its approval): no permission check and no audit
    event, both are the caller's. `run_hooks=False` skips the finished hooks when the caller updates the
    record itself; the `approvals.finished` job is queued either way.
    """
    locked = await lock_instance(session, instance.tenant_id, instance.id)
    transition = _transition(locked, Cancel(actor_id=str(actor.id), now=_now()))
    await record_approval_event(session, locked.instance, "cancelled", {"comment": comment}, actor_id=actor.id)
    await _save(session, locked.instance, transition, run_hooks=run_hooks)
    await show_outcome(session, locked.instance, locked.state, transition.state, by=actor.label, comment=comment)
    return locked.instance


async def cancel_approval(
    session: AsyncSession, *, actor: Principal, instance_id: uuid.UUID, comment: str | None = None
) -> ApprovalInstance:
    """The API's cancel: its requester or a tenant admin may; everyone else is refused (403)."""
    instance = await repo.get_instance(session, actor.tenant, instance_id, lock=True)
    if actor.id != instance.requester_id and "admin" not in actor.roles:
        raise Forbidden("Only the requester or a tenant admin may cancel this approval.")
    await cancel_instance(session, actor=actor, instance=instance, comment=comment)
    await record_event(
        session,
        actor=actor,
        action="approval_instance.cancelled",
        object_type="approval_instance",
        object_id=instance.id,
        summary={"comment": comment},
    )
    return instance


async def refresh_approvers(session: AsyncSession, *, actor: Principal, instance_id: uuid.UUID) -> ApprovalInstance:
    """Re-resolve the open steps after the directory changed (a flagged step may now have approvers)."""
    locked = await lock_instance(session, actor.tenant, instance_id)
    approvers = await _approvers_for(session, locked, fresh=True)
    transition = _transition(locked, RefreshApprovers(now=_now(), approvers=approvers))
    instance = locked.instance
    await record_approval_event(session, instance, "approvers_refreshed", actor_id=actor.id)
    await _save(session, instance, transition)
    await record_event(
        session,
        actor=actor,
        action="approval_instance.approvers_refreshed",
        object_type="approval_instance",
        object_id=instance.id,
        summary={"status": instance.status, "current_step": instance.current_step},
    )
    return instance


async def apply_timer(
    session: AsyncSession, *, tenant_id: uuid.UUID, instance_id: uuid.UUID, step_name: str, timer: Timer
) -> bool:
    """A due timeout or reminder; a late or stale one changes nothing. Returns whether anything happened."""
    locked = await lock_instance(session, tenant_id, instance_id)
    if timer == "timeout":
        approvers = await _approvers_for(session, locked)
        event: Event = StepTimedOut(step_name=step_name, now=_now(), approvers=approvers)
    else:
        event = ReminderDue(step_name=step_name, now=_now())
    transition = _transition(locked, event)
    if transition.state == locked.state and not transition.effects:
        return False
    instance = locked.instance
    if timer == "timeout":
        await record_approval_event(session, instance, "step_timed_out", {"step_name": step_name})
    await _save(session, instance, transition)
    await show_outcome(session, instance, locked.state, transition.state, by=None)
    if transition.state != locked.state:
        await record_event(
            session,
            actor=None,
            tenant_id=tenant_id,
            action="approval_instance.step_timed_out",
            object_type="approval_instance",
            object_id=instance.id,
            summary={"step": step_name, "status": instance.status, "current_step": instance.current_step},
        )
    return True
