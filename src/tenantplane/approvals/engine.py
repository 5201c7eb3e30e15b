"""The ITSM approval workflow engine: pure rules that move an approval instance from one state to the next.

apply(definition, state, event) returns the new state and the effects the shell must carry out; no I/O here.

How the shell drives it
- Approver resolution: the engine never looks up groups, roles, managers or delegations. Every event that
  can make a new order current (Start, Decide, StepTimedOut, RefreshApprovers) carries `approvers`, the
  shell's fresh resolution step name → user ids (for `any`: every active user of the tenant). The engine
  reads a step's entry only at the moment its order becomes current and keeps that snapshot, so a later
  step sees the directory as it is when its turn comes. `steps_to_resolve(state)` names the steps whose
  entries may be read; a missing entry raises ApproversNotResolved instead of guessing. This keeps one
  apply per request (no resolve-and-feed-back loop, no half-opened state to persist).
- Four-eyes: unless the definition allows self-approval, the requester and the person the request is for
  (`requested_for_id`) are removed from every approver set and may not decide, not even as someone's delegate.
- A step nobody can approve (no eligible approvers, or fewer than its quorum) is never silently approved:
  an optional one is skipped with the reason; a required one stays pending, is flagged (FlagEmptyApproverSet)
  and keeps the instance pending until RefreshApprovers, a timeout or a cancel moves it.
- One rejection vetoes a step. A rejected required step rejects the instance at once; the other steps of
  that order (and all later ones) keep status `pending`, which a finished instance's status explains.
- Timeouts: `reject` rejects the step, `skip` skips it (optional steps only; definitions refuse it on
  required ones), `escalate` (also the default when no on_timeout is set) emits EscalateStep once and
  leaves the step pending. Timers and reminders are durable jobs that may fire late: a timeout or reminder
  for a step that is no longer open is a no-op. A reminder repeats every remind_after_seconds while open.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import assert_never

from tenantplane.approvals.engine_model import (
    AlreadyDecided,
    AlreadyStarted,
    ApprovalError,
    ApproverSets,
    ApproversNotResolved,
    Cancel,
    CommentRequired,
    Decide,
    Decision,
    DefinitionSpec,
    Effect,
    EscalateStep,
    Event,
    Finished,
    FlagEmptyApproverSet,
    FourEyesRefused,
    InstanceState,
    InstanceStatus,
    NotEligible,
    NotifyApprovers,
    NotifyRequester,
    NotPending,
    RefreshApprovers,
    RemindApprovers,
    ReminderDue,
    ScheduleReminder,
    ScheduleTimeout,
    Start,
    StepNotCurrent,
    StepSpec,
    StepState,
    StepStatus,
    StepTimedOut,
    Transition,
    from_dict,
    step_results,
    to_dict,
)

__all__ = [
    "PreviewOrder",
    "PreviewStep",
    "apply",
    "decidable_steps",
    "four_eyes_excluded",
    "from_dict",
    "new_instance",
    "preview",
    "start_instance",
    "step_results",
    "steps_to_resolve",
    "to_dict",
]

FOUR_EYES = "the requester may not decide their own request (four-eyes rule of this definition)"
FOUR_EYES_FOR = "the person the request is for may not decide it (four-eyes rule of this definition)"


# --- entry points --------------------------------------------------------------------------------------


def new_instance(definition: DefinitionSpec, requester_id: str, requested_for_id: str | None = None) -> InstanceState:
    """A not-yet-started instance: every step pending and unresolved; apply Start next.

    `requested_for_id`: whom the request is for, when that is someone else (four-eyes excludes them too).
    """
    steps = tuple(StepState(name=s.name, order=s.order) for s in definition.steps)
    beneficiary = requested_for_id if requested_for_id != requester_id else None
    return InstanceState(requester_id=requester_id, requested_for_id=beneficiary, steps=steps)


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
        case Cancel():
            _require_pending(state)
            effects: list[Effect] = []
            return Transition(_finish(state, "cancelled", event.now, effects), tuple(effects))
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
    if state.status != "pending" or not _may_decide_at_all(definition, state, actor_id):
        return ()
    names: list[str] = []
    for step in state.open_steps():
        try:
            _principal_for(step, actor_id, delegators)
        except ApprovalError:
            continue
        names.append(step.name)
    return tuple(names)


# --- events --------------------------------------------------------------------------------------------


def _start(definition: DefinitionSpec, state: InstanceState, event: Start) -> Transition:
    if state.status != "pending" or state.current_step is not None:
        raise AlreadyStarted("this approval instance has already started")
    effects: list[Effect] = []
    state = _advance(definition, state, event.approvers, event.now, effects)
    return Transition(state, tuple(effects))


def _decide(definition: DefinitionSpec, state: InstanceState, event: Decide) -> Transition:
    _require_pending(state)
    if event.step_name is not None:
        definition.step(event.step_name)
    if event.outcome == "rejected" and not (event.comment or "").strip():
        raise CommentRequired("a rejection needs a comment saying why")
    if not _may_decide_at_all(definition, state, event.actor_id):
        raise FourEyesRefused(FOUR_EYES if event.actor_id == state.requester_id else FOUR_EYES_FOR)
    comment = event.comment if (event.comment or "").strip() else None
    for step, principal_id in _decision_targets(state, event):
        decision = Decision(
            user_id=event.actor_id,
            outcome=event.outcome,
            at=event.now,
            comment=comment,
            on_behalf_of=None if principal_id == event.actor_id else principal_id,
        )
        state = _with_step(state, _record(definition.step(step.name), step, decision))
    effects: list[Effect] = []
    state = _advance(definition, state, event.approvers, event.now, effects)
    return Transition(state, tuple(effects))


def _time_out(definition: DefinitionSpec, state: InstanceState, event: StepTimedOut) -> Transition:
    spec = definition.step(event.step_name)
    step = state.step(event.step_name)
    if not _is_open(state, step):
        return Transition(state)
    outcome = spec.on_timeout or "escalate"
    if outcome == "escalate":
        if step.escalated:
            return Transition(state)
        escalation = EscalateStep(step.name, f"step {step.name!r} timed out without a decision")
        return Transition(_with_step(state, replace(step, escalated=True)), (escalation,))
    status: StepStatus = "rejected" if outcome == "reject" else "skipped"
    state = _with_step(state, _close(step, status, "timed out"))
    effects: list[Effect] = []
    state = _advance(definition, state, event.approvers, event.now, effects)
    return Transition(state, tuple(effects))


def _remind(definition: DefinitionSpec, state: InstanceState, event: ReminderDue) -> Transition:
    spec = definition.step(event.step_name)
    step = state.step(event.step_name)
    if not _is_open(state, step):
        return Transition(state)
    effects: list[Effect] = []
    waiting = _undecided_approvers(step)
    if waiting:
        effects.append(RemindApprovers(step.name, waiting))
    if spec.remind_after_seconds is not None:
        effects.append(ScheduleReminder(step.name, spec.remind_after_seconds))
    return Transition(state, tuple(effects))


def _refresh(definition: DefinitionSpec, state: InstanceState, event: RefreshApprovers) -> Transition:
    _require_pending(state)
    effects: list[Effect] = []
    for step in state.open_steps():
        spec = definition.step(step.name)
        eligible = _eligible(definition, state, spec, event.approvers)
        added = eligible - (step.eligible_ids or frozenset())
        refreshed = _check_reachable(spec, replace(step, eligible_ids=eligible), effects)
        if refreshed.status == "pending" and added:
            effects.append(NotifyApprovers(step.name, added))
        state = _with_step(state, refreshed)
    state = _advance(definition, state, event.approvers, event.now, effects)
    return Transition(state, tuple(effects))


# --- rules ---------------------------------------------------------------------------------------------


def _advance(
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
            return _finish(state, "rejected", now, effects)
        if state.open_steps():
            return state
        waiting = [s.order for s in state.steps if s.status == "pending"]
        if not waiting:
            return _finish(state, "approved", now, effects)
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
        eligible = _eligible(definition, state, spec, approvers)
        step = replace(state.step(spec.name), eligible_ids=eligible, opened_at=now)
        step = _check_reachable(spec, step, effects)
        if step.status == "pending":
            if eligible:
                effects.append(NotifyApprovers(spec.name, eligible))
            if spec.timeout_seconds is not None:
                effects.append(ScheduleTimeout(spec.name, spec.timeout_seconds))
            if spec.remind_after_seconds is not None:
                effects.append(ScheduleReminder(spec.name, spec.remind_after_seconds))
        state = _with_step(state, step)
    return replace(state, current_step=order)


def _check_reachable(spec: StepSpec, step: StepState, effects: list[Effect]) -> StepState:
    """Skip an optional step, or flag a required one, when its quorum can no longer be met."""
    shortfall = _quorum_shortfall(spec, step)
    if shortfall is None:
        return replace(step, flagged=False, reason=None) if step.flagged else step
    if not spec.required:
        return _close(step, "skipped", shortfall)
    if not step.flagged or step.reason != shortfall:
        effects.append(FlagEmptyApproverSet(step.name, shortfall))
    return replace(step, flagged=True, reason=shortfall)


def _quorum_shortfall(spec: StepSpec, step: StepState) -> str | None:
    eligible = step.eligible_ids or frozenset()
    if not eligible:
        target = " ".join(part for part in (spec.approver_type, spec.approver_value) if part)
        return f"no eligible approvers ({target})"
    approvals = _approving_principals(step)
    possible = len(approvals) + len(eligible - _decided_ids(step))
    if possible < spec.min_approvals:
        return f"quorum of {spec.min_approvals} cannot be met by {possible} eligible approvers"
    return None


def _decision_targets(state: InstanceState, event: Decide) -> list[tuple[StepState, str]]:
    """The open steps this decision applies to, each with the approver it counts for."""
    if event.step_name is not None:
        step = state.step(event.step_name)
        if not _is_open(state, step):
            raise StepNotCurrent(f"step {step.name!r} is {_describe(state, step)}, not awaiting decisions")
        return [(step, _principal_for(step, event.actor_id, event.delegators))]
    targets: list[tuple[StepState, str]] = []
    already: AlreadyDecided | None = None
    for step in state.open_steps():
        try:
            targets.append((step, _principal_for(step, event.actor_id, event.delegators)))
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


def _principal_for(step: StepState, actor_id: str, delegators: frozenset[str]) -> str:
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


def _record(spec: StepSpec, step: StepState, decision: Decision) -> StepState:
    step = replace(step, decisions=(*step.decisions, decision))
    if decision.outcome == "rejected":
        return _close(step, "rejected", None)
    if len(_approving_principals(step)) >= spec.min_approvals:
        return _close(step, "approved", None)
    return step


def _finish(state: InstanceState, status: InstanceStatus, now: datetime, effects: list[Effect]) -> InstanceState:
    effects.extend((Finished(status), NotifyRequester(status)))
    return replace(state, status=status, current_step=None, finished_at=now)


# --- small helpers -------------------------------------------------------------------------------------


def _require_pending(state: InstanceState) -> None:
    if state.status != "pending":
        raise NotPending(f"this approval instance is {state.status}; it no longer takes decisions")
    if state.current_step is None:
        raise NotPending("this approval instance has not started yet")


def four_eyes_excluded(state: InstanceState) -> frozenset[str]:
    """Who may never decide this instance unless the definition allows self-approval: requester and beneficiary."""
    return frozenset(u for u in (state.requester_id, state.requested_for_id) if u)


def _may_decide_at_all(definition: DefinitionSpec, state: InstanceState, actor_id: str) -> bool:
    return definition.allow_self_approval or actor_id not in four_eyes_excluded(state)


def _eligible(
    definition: DefinitionSpec, state: InstanceState, spec: StepSpec, approvers: ApproverSets
) -> frozenset[str]:
    if spec.name not in approvers:
        raise ApproversNotResolved(f"no approver set was resolved for step {spec.name!r}")
    resolved = frozenset(approvers[spec.name])
    return resolved if definition.allow_self_approval else resolved - four_eyes_excluded(state)


def _is_open(state: InstanceState, step: StepState) -> bool:
    return state.status == "pending" and step.order == state.current_step and step.status == "pending"


def _describe(state: InstanceState, step: StepState) -> str:
    if step.status != "pending":
        return step.status
    if state.status != "pending":
        return f"left undecided (instance {state.status})"
    return "not reached yet"


def _close(step: StepState, status: StepStatus, reason: str | None) -> StepState:
    return replace(step, status=status, reason=reason, flagged=False)


def _with_step(state: InstanceState, new: StepState) -> InstanceState:
    return replace(state, steps=tuple(new if s.name == new.name else s for s in state.steps))


def _decided_ids(step: StepState) -> frozenset[str]:
    """Everyone already heard on this step, as actor or as the approver a delegate stood in for."""
    return frozenset(d.user_id for d in step.decisions) | {d.principal_id for d in step.decisions}


def _approving_principals(step: StepState) -> frozenset[str]:
    return frozenset(d.principal_id for d in step.decisions if d.outcome == "approved")


def _undecided_approvers(step: StepState) -> frozenset[str]:
    return (step.eligible_ids or frozenset()) - _decided_ids(step)


# --- "who approves this?" dry run ----------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewStep:
    name: str
    required: bool
    min_approvals: int
    approver_ids: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class PreviewOrder:
    order: int
    steps: tuple[PreviewStep, ...]


def preview(
    definition: DefinitionSpec,
    resolved: Mapping[str, frozenset[str]],
    requester_id: str,
    requested_for_id: str | None = None,
) -> tuple[PreviewOrder, ...]:
    """Who would have to approve this request, in which order, if the directory stays as it is now."""
    who = new_instance(definition, requester_id, requested_for_id)
    orders: list[PreviewOrder] = []
    for order in sorted({s.order for s in definition.steps}):
        specs = [s for s in definition.steps if s.order == order]
        orders.append(PreviewOrder(order, tuple(_preview_step(definition, s, resolved, who) for s in specs)))
    return tuple(orders)


def _preview_step(
    definition: DefinitionSpec, spec: StepSpec, resolved: Mapping[str, frozenset[str]], who: InstanceState
) -> PreviewStep:
    if spec.name not in resolved:
        raise ApproversNotResolved(f"no approver set was resolved for step {spec.name!r}")
    approvers = frozenset(resolved[spec.name])
    notes: list[str] = []
    if not definition.allow_self_approval and who.requester_id in approvers:
        approvers -= {who.requester_id}
        notes.append("the requester is left out by the four-eyes rule")
    if not definition.allow_self_approval and who.requested_for_id in approvers:
        approvers -= {who.requested_for_id}
        notes.append("the person the request is for is left out by the four-eyes rule")
    shortfall = _quorum_shortfall(spec, StepState(name=spec.name, order=spec.order, eligible_ids=approvers))
    if shortfall is not None and spec.required:
        notes.append(f"{shortfall}: the request would wait here and be flagged to tenant admins")
    elif shortfall is not None:
        notes.append(f"{shortfall}: this optional step would be skipped")
    if spec.timeout_seconds is not None:
        notes.append(f"after {spec.timeout_seconds} s without a decision: {spec.on_timeout or 'escalate'}")
    return PreviewStep(spec.name, spec.required, spec.min_approvals, tuple(sorted(approvers)), tuple(notes))
