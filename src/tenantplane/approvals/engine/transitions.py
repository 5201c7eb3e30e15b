"""The one way an approval instance changes: apply(definition, state, event) -> Transition, one case per event.

Also the questions the shell asks between events: which steps to resolve, which a user may decide now."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import assert_never

from tenantplane.approvals.engine.events import (
    Cancel,
    Decide,
    Effect,
    EscalateStep,
    EscalationDue,
    Event,
    NotifyApprovers,
    RefreshApprovers,
    RemindApprovers,
    ReminderDue,
    RerouteStep,
    ScheduleReminder,
    Start,
    StepTimedOut,
    Transition,
)
from tenantplane.approvals.engine.refusals import AlreadyStarted, ApprovalError, CommentRequired, FourEyesRefused
from tenantplane.approvals.engine.rules import (
    advance,
    check_reachable,
    close_step,
    decision_targets,
    eligible_for,
    finish,
    is_open,
    may_decide_at_all,
    principal_for,
    quorum_shortfall,
    record_decision,
    require_pending,
    undecided_approvers,
    with_step,
)
from tenantplane.approvals.engine.state import (
    ApproverSets,
    Decision,
    DefinitionSpec,
    InstanceState,
    StepState,
    StepStatus,
    new_instance,
)

FOUR_EYES = "the requester may not decide their own request (four-eyes rule of this definition)"
FOUR_EYES_FOR = "the person the request is for may not decide it (four-eyes rule of this definition)"


def start_instance(
    definition: DefinitionSpec,
    *,
    requester_id: str,
    approvers: ApproverSets,
    now: datetime,
    requested_for_id: str | None = None,
) -> Transition:
    """Create an instance and open its first order in one go."""
    fresh = new_instance(definition, requester_id, requested_for_id)
    return apply(definition, fresh, Start(now=now, approvers=approvers))


def apply(definition: DefinitionSpec, state: InstanceState, event: Event) -> Transition:
    """The one way an instance changes: refuse with an ApprovalError or return the new state and effects."""
    match event:
        case Start():
            return _start(definition, state, event)
        case Decide():
            return _decide(definition, state, event)
        case StepTimedOut():
            return _time_out(definition, state, event)
        case ReminderDue():
            return _remind(definition, state, event)
        case RefreshApprovers():
            return _refresh(definition, state, event)
        case RerouteStep():
            return _reroute(definition, state, event)
        case EscalationDue():
            return _escalate(definition, state, event)
        case Cancel():
            require_pending(state)
            effects: list[Effect] = []
            return Transition(finish(state, "cancelled", event.now, effects), tuple(effects))
        case _:
            assert_never(event)


def steps_to_resolve(state: InstanceState) -> tuple[str, ...]:
    """Names of the steps whose approver sets the next event may read (every still-pending step)."""
    if state.status != "pending":
        return ()
    return tuple(s.name for s in state.steps if s.status == "pending")


def decidable_steps(
    definition: DefinitionSpec, state: InstanceState, actor_id: str, delegators: frozenset[str] = frozenset()
) -> tuple[str, ...]:
    """The open steps this user may decide now (for inboxes, and so the UI never shows a refused button)."""
    if state.status != "pending" or not may_decide_at_all(definition, state, actor_id):
        return ()
    names: list[str] = []
    for step in state.open_steps():
        try:
            principal_for(step, actor_id, delegators)
        except ApprovalError:
            continue
        names.append(step.name)
    return tuple(names)


# --- one case per event --------------------------------------------------------------------------------


def _start(definition: DefinitionSpec, state: InstanceState, event: Start) -> Transition:
    if state.status != "pending" or state.current_step is not None:
        raise AlreadyStarted("this approval instance has already started")
    effects: list[Effect] = []
    state = advance(definition, state, event.approvers, event.now, effects)
    return Transition(state, tuple(effects))


def _decide(definition: DefinitionSpec, state: InstanceState, event: Decide) -> Transition:
    require_pending(state)
    if event.step_name is not None:
        definition.step(event.step_name)
    if event.outcome == "rejected" and not (event.comment or "").strip():
        raise CommentRequired("a rejection needs a comment saying why")
    if not may_decide_at_all(definition, state, event.actor_id):
        raise FourEyesRefused(FOUR_EYES if event.actor_id == state.requester_id else FOUR_EYES_FOR)
    comment = event.comment if (event.comment or "").strip() else None
    for step, principal_id in decision_targets(state, event):
        decision = Decision(
            user_id=event.actor_id,
            outcome=event.outcome,
            at=event.now,
            comment=comment,
            on_behalf_of=None if principal_id == event.actor_id else principal_id,
        )
        state = with_step(state, record_decision(definition.step(step.name), step, decision))
    effects: list[Effect] = []
    state = advance(definition, state, event.approvers, event.now, effects)
    return Transition(state, tuple(effects))


def _time_out(definition: DefinitionSpec, state: InstanceState, event: StepTimedOut) -> Transition:
    spec = definition.step(event.step_name)
    step = state.step(event.step_name)
    if not is_open(state, step):
        return Transition(state)
    outcome = spec.on_timeout or "escalate"
    if outcome == "escalate":
        if step.escalated:
            return Transition(state)
        escalation = EscalateStep(step.name, f"step {step.name!r} timed out without a decision")
        return Transition(with_step(state, replace(step, escalated=True)), (escalation,))
    status: StepStatus = "rejected" if outcome == "reject" else "skipped"
    state = with_step(state, close_step(step, status, "timed out"))
    effects: list[Effect] = []
    state = advance(definition, state, event.approvers, event.now, effects)
    return Transition(state, tuple(effects))


def _remind(definition: DefinitionSpec, state: InstanceState, event: ReminderDue) -> Transition:
    spec = definition.step(event.step_name)
    step = state.step(event.step_name)
    if not is_open(state, step) or _reminded_for_this_due_time(step, spec.remind_after_seconds, event.now):
        return Transition(state)
    effects: list[Effect] = []
    waiting = undecided_approvers(step)
    if waiting:
        effects.append(RemindApprovers(step.name, waiting))
    if spec.remind_after_seconds is not None:
        effects.append(ScheduleReminder(step.name, spec.remind_after_seconds))
    return Transition(with_step(state, replace(step, reminded_at=event.now)), tuple(effects))


def _reminded_for_this_due_time(step: StepState, every: int | None, now: datetime) -> bool:
    """Whether a reminder already went out for the due time this one is for: the next is due `every` seconds after
    the last, so one arriving well before that (a second job for the same time) is a duplicate."""
    if step.reminded_at is None or every is None:
        return False
    return now < step.reminded_at + timedelta(seconds=every / 2)


def _refresh(definition: DefinitionSpec, state: InstanceState, event: RefreshApprovers) -> Transition:
    require_pending(state)
    effects: list[Effect] = []
    for step in state.open_steps():
        spec = definition.step(step.name)
        eligible = eligible_for(definition, state, spec, event.approvers)
        added = eligible - (step.eligible_ids or frozenset())
        refreshed = check_reachable(spec, replace(step, eligible_ids=eligible), effects)
        if refreshed.status == "pending" and added:
            effects.append(NotifyApprovers(step.name, added))
        state = with_step(state, refreshed)
    state = advance(definition, state, event.approvers, event.now, effects)
    return Transition(state, tuple(effects))


def _reroute(definition: DefinitionSpec, state: InstanceState, event: RerouteStep) -> Transition:
    require_pending(state)
    step = state.step(event.step_name)
    if not is_open(state, step):
        return Transition(state, ())  # decided or moved on meanwhile: nothing to hand over
    spec = definition.step(step.name)
    effects: list[Effect] = []
    eligible = eligible_for(definition, state, spec, {spec.name: event.to})
    rerouted = check_reachable(spec, replace(step, eligible_ids=eligible, rerouted=event.reason), effects)
    if rerouted.status == "pending" and (waiting := undecided_approvers(rerouted)):
        effects.append(NotifyApprovers(step.name, waiting))
    state = advance(definition, with_step(state, rerouted), event.approvers, event.now, effects)
    return Transition(state, tuple(effects))


def _escalate(definition: DefinitionSpec, state: InstanceState, event: EscalationDue) -> Transition:
    """Hand an open step to the escalation targets, once; four-eyes keeps the requester and beneficiary out.

    Replacing never makes a step undecidable: targets too few for its quorum join the approvers instead. Nobody
    left to escalate to (after four-eyes): the approvers stay and the tenant admins are told."""
    step = state.step(event.step_name)
    if not is_open(state, step) or step.escalation is not None:
        return Transition(state)  # decided, moved on, or escalated already: escalation happens once per step
    spec = definition.step(step.name)
    before = step.eligible_ids or frozenset()
    targets = eligible_for(definition, state, spec, {spec.name: event.to})
    if not targets:
        reason = f"{event.reason}: nobody to escalate to, so the approvers stay and the tenant admins were told"
        return Transition(with_step(state, replace(step, escalation=reason)), (EscalateStep(step.name, reason),))
    eligible, reason = before | targets, event.reason
    if spec.escalation_replaces:
        if quorum_shortfall(spec, replace(step, eligible_ids=targets)) is None:
            eligible = targets
        else:
            reason = f"{reason} (added to the approvers: too few to replace them for a quorum of {spec.min_approvals})"
    effects: list[Effect] = []
    escalated = check_reachable(spec, replace(step, eligible_ids=eligible, escalation=reason), effects)
    if escalated.status == "pending" and (added := undecided_approvers(escalated) - before):
        effects.append(NotifyApprovers(step.name, added))
    state = advance(definition, with_step(state, escalated), event.approvers, event.now, effects)
    return Transition(state, tuple(effects))
