"""The rules an approval transition is made of: opening orders, eligibility and four-eyes, quorum, closing.

Pure functions of a definition and an instance state; transitions.py composes them into one apply per event.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from tenantplane.approvals.engine.events import (
    Decide,
    Effect,
    Finished,
    FlagEmptyApproverSet,
    NotifyApprovers,
    NotifyRequester,
    ScheduleEscalation,
    ScheduleReminder,
    ScheduleTimeout,
)
from tenantplane.approvals.engine.refusals import (
    AlreadyDecided,
    ApproversNotResolved,
    NotEligible,
    NotPending,
    StepNotCurrent,
)
from tenantplane.approvals.engine.state import (
    ApproverSets,
    Decision,
    DefinitionSpec,
    InstanceState,
    InstanceStatus,
    StepSpec,
    StepState,
    StepStatus,
)

# --- rules ---------------------------------------------------------------------------------------------


def advance(
    definition: DefinitionSpec,
    state: InstanceState,
    approvers: ApproverSets,
    now: datetime,
    effects: list[Effect],
) -> InstanceState:
    """Decide the instance's outcome, or open the next order once every step of the current one finished."""
    while state.status == "pending":
        required = {s.name for s in definition.steps if s.required}
        if any(s.status == "rejected" and s.name in required for s in state.steps):
            return finish(state, "rejected", now, effects)
        if state.open_steps():
            return state
        waiting = [s.order for s in state.steps if s.status == "pending"]
        if not waiting:
            return finish(state, "approved", now, effects)
        state = _open_order(definition, state, min(waiting), approvers, now, effects)
    return state


def _open_order(
    definition: DefinitionSpec,
    state: InstanceState,
    order: int,
    approvers: ApproverSets,
    now: datetime,
    effects: list[Effect],
) -> InstanceState:
    for spec in definition.steps:
        if spec.order != order:
            continue
        eligible = eligible_for(definition, state, spec, approvers)
        step = replace(state.step(spec.name), eligible_ids=eligible, opened_at=now)
        step = check_reachable(spec, step, effects)
        if step.status == "pending":
            if eligible:
                effects.append(NotifyApprovers(spec.name, eligible))
            if spec.timeout_seconds is not None:
                effects.append(ScheduleTimeout(spec.name, spec.timeout_seconds))
            if spec.remind_after_seconds is not None:
                effects.append(ScheduleReminder(spec.name, spec.remind_after_seconds))
            if spec.escalate_after_seconds is not None:
                effects.append(ScheduleEscalation(spec.name, spec.escalate_after_seconds))
        state = with_step(state, step)
    return replace(state, current_step=order)


def check_reachable(spec: StepSpec, step: StepState, effects: list[Effect]) -> StepState:
    """Skip an optional step, or flag a required one, when its quorum can no longer be met."""
    shortfall = quorum_shortfall(spec, step)
    if shortfall is None:
        return replace(step, flagged=False, reason=None) if step.flagged else step
    if not spec.required:
        return close_step(step, "skipped", shortfall)
    if not step.flagged or step.reason != shortfall:
        effects.append(FlagEmptyApproverSet(step.name, shortfall))
    return replace(step, flagged=True, reason=shortfall)


def quorum_shortfall(spec: StepSpec, step: StepState) -> str | None:
    eligible = step.eligible_ids or frozenset()
    if not eligible:
        target = " ".join(part for part in (spec.approver_type, spec.approver_value) if part)
        return f"no eligible approvers ({target})"
    approvals = _approving_principals(step)
    possible = len(approvals) + len(eligible - _decided_ids(step))
    if possible < spec.min_approvals:
        return f"quorum of {spec.min_approvals} cannot be met by {possible} eligible approvers"
    return None


def decision_targets(state: InstanceState, event: Decide) -> list[tuple[StepState, str]]:
    """The open steps this decision applies to, each with the approver it counts for."""
    if event.step_name is not None:
        step = state.step(event.step_name)
        if not is_open(state, step):
            raise StepNotCurrent(f"step {step.name!r} is {_describe(state, step)}, not awaiting decisions")
        return [(step, principal_for(step, event.actor_id, event.delegators))]
    targets: list[tuple[StepState, str]] = []
    already: AlreadyDecided | None = None
    for step in state.open_steps():
        try:
            targets.append((step, principal_for(step, event.actor_id, event.delegators)))
        except AlreadyDecided as refusal:
            already = refusal
        except NotEligible:
            continue
    if targets:
        return targets
    if already is not None:
        raise already
    for step in state.steps:
        # A late (or concurrent, losing) decision on a gate that closed meanwhile is a conflict, not a refusal.
        eligible = step.eligible_ids or frozenset()
        if step.status != "pending" and (event.actor_id in eligible or event.delegators & eligible):
            raise StepNotCurrent(f"step {step.name!r} is already {step.status}; it no longer takes decisions")
    raise NotEligible(f"user {event.actor_id} is not an eligible approver of any step awaiting decisions")


def principal_for(step: StepState, actor_id: str, delegators: frozenset[str]) -> str:
    """Whom the actor decides for: themselves if eligible, else an undecided approver they stand in for."""
    eligible = step.eligible_ids or frozenset()
    standing_in_for = delegators & eligible
    if actor_id not in eligible and not standing_in_for:
        raise NotEligible(f"user {actor_id} is not an eligible approver of step {step.name!r}")
    decided = _decided_ids(step)
    if actor_id in decided:
        raise AlreadyDecided(f"user {actor_id} has already decided step {step.name!r}")
    if actor_id in eligible:
        return actor_id
    undecided = sorted(standing_in_for - decided)
    if not undecided:
        raise AlreadyDecided(f"everyone user {actor_id} stands in for has already decided step {step.name!r}")
    return undecided[0]


def record_decision(spec: StepSpec, step: StepState, decision: Decision) -> StepState:
    step = replace(step, decisions=(*step.decisions, decision))
    if decision.outcome == "rejected":
        return close_step(step, "rejected", None)
    if len(_approving_principals(step)) >= spec.min_approvals:
        return close_step(step, "approved", None)
    return step


def finish(state: InstanceState, status: InstanceStatus, now: datetime, effects: list[Effect]) -> InstanceState:
    effects.extend((Finished(status), NotifyRequester(status)))
    return replace(state, status=status, current_step=None, finished_at=now)


# --- small helpers -------------------------------------------------------------------------------------


def require_pending(state: InstanceState) -> None:
    if state.status != "pending":
        raise NotPending(f"this approval instance is {state.status}; it no longer takes decisions")
    if state.current_step is None:
        raise NotPending("this approval instance has not started yet")


def four_eyes_excluded(state: InstanceState) -> frozenset[str]:
    """Who may never decide this instance unless the definition allows self-approval: requester and beneficiary."""
    return frozenset(u for u in (state.requester_id, state.requested_for_id) if u)


def may_decide_at_all(definition: DefinitionSpec, state: InstanceState, actor_id: str) -> bool:
    return definition.allow_self_approval or actor_id not in four_eyes_excluded(state)


def eligible_for(
    definition: DefinitionSpec, state: InstanceState, spec: StepSpec, approvers: ApproverSets
) -> frozenset[str]:
    if spec.name not in approvers:
        raise ApproversNotResolved(f"no approver set was resolved for step {spec.name!r}")
    resolved = frozenset(approvers[spec.name])
    return resolved if definition.allow_self_approval else resolved - four_eyes_excluded(state)


def is_open(state: InstanceState, step: StepState) -> bool:
    return state.status == "pending" and step.order == state.current_step and step.status == "pending"


def _describe(state: InstanceState, step: StepState) -> str:
    if step.status != "pending":
        return step.status
    if state.status != "pending":
        return f"left undecided (instance {state.status})"
    return "not reached yet"


def close_step(step: StepState, status: StepStatus, reason: str | None) -> StepState:
    return replace(step, status=status, reason=reason, flagged=False)


def with_step(state: InstanceState, new: StepState) -> InstanceState:
    return replace(state, steps=tuple(new if s.name == new.name else s for s in state.steps))


def _decided_ids(step: StepState) -> frozenset[str]:
    """Everyone already heard on this step, as actor or as the approver a delegate stood in for."""
    return frozenset(d.user_id for d in step.decisions) | {d.principal_id for d in step.decisions}


def _approving_principals(step: StepState) -> frozenset[str]:
    return frozenset(d.principal_id for d in step.decisions if d.outcome == "approved")


def undecided_approvers(step: StepState) -> frozenset[str]:
    return (step.eligible_ids or frozenset()) - _decided_ids(step)
