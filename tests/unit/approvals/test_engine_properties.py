"""Property tests of the approval engine: random definitions, approver sets and event sequences.

Whatever happens, an instance finishes at most once, is approved only with every required sign-off
and never counts anybody twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tenantplane.approvals import engine
from tenantplane.approvals.engine import (
    ApprovalError,
    Cancel,
    Decide,
    DefinitionSpec,
    EscalationDue,
    Event,
    Finished,
    InstanceState,
    RefreshApprovers,
    ReminderDue,
    Start,
    StepSpec,
    StepTimedOut,
    Transition,
)

USERS = ("ann", "bob", "cal", "dee", "eve")
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
FAST = settings(max_examples=300, deadline=None)


@dataclass(frozen=True)
class Scenario:
    definition: DefinitionSpec
    requester_id: str
    directory: dict[str, frozenset[str]]
    events: list[Event]


@st.composite
def step_specs(draw: st.DrawFn, index: int) -> StepSpec:
    required = draw(st.booleans())
    outcomes = [None, "reject", "escalate"] + ([] if required else ["skip"])
    escalates = draw(st.booleans())
    return StepSpec(
        name=f"step{index}",
        order=draw(st.integers(1, 4)),
        approver_type=draw(st.sampled_from(["user", "group", "role", "any", "manager"])),
        approver_value="x",
        required=required,
        min_approvals=draw(st.sampled_from([1, 1, 2, 3])),
        timeout_seconds=draw(st.sampled_from([None, 60])),
        on_timeout=draw(st.sampled_from(outcomes)),
        remind_after_seconds=draw(st.sampled_from([None, 30])),
        escalate_after_seconds=20 if escalates else None,
        escalate_to="manager" if escalates else None,
        escalation_replaces=escalates and draw(st.booleans()),
    )


approver_sets = st.frozensets(st.sampled_from(USERS), max_size=len(USERS))


def directories(names: list[str]) -> st.SearchStrategy[dict[str, frozenset[str]]]:
    return st.fixed_dictionaries({name: approver_sets for name in names})


@st.composite
def events(draw: st.DrawFn, names: list[str], at: datetime) -> Event:
    # Cancelling is rare so that most runs get far enough to approve or reject.
    kind = draw(
        st.sampled_from(["decide"] * 20 + ["timeout"] * 3 + ["refresh"] * 2 + ["escalate"] * 2 + ["reminder", "cancel"])
    )
    actor = draw(st.sampled_from(USERS))
    if kind == "timeout":
        return StepTimedOut(step_name=draw(st.sampled_from(names)), now=at)
    if kind == "reminder":
        return ReminderDue(step_name=draw(st.sampled_from(names)), now=at)
    if kind == "refresh":
        return RefreshApprovers(now=at, approvers=draw(directories(names)))
    if kind == "escalate":
        return EscalationDue(step_name=draw(st.sampled_from(names)), to=draw(approver_sets), reason="r", now=at)
    if kind == "cancel":
        return Cancel(actor_id=actor, now=at)
    return Decide(
        actor_id=actor,
        outcome=draw(st.sampled_from(["approved", "approved", "approved", "rejected"])),
        comment=draw(st.sampled_from([None, "", "because", "because", "because"])),
        step_name=draw(st.sampled_from([None, None, None, "ghost", *names])),
        delegators=draw(st.frozensets(st.sampled_from(USERS), max_size=2)),
        now=at,
    )


@st.composite
def scenarios(draw: st.DrawFn, max_events: int = 25) -> Scenario:
    specs = [draw(step_specs(index)) for index in range(draw(st.integers(1, 6)))]
    definition = DefinitionSpec(steps=tuple(specs), allow_self_approval=draw(st.booleans()))
    names = [s.name for s in specs]
    count = draw(st.integers(0, max_events))
    return Scenario(
        definition=definition,
        requester_id=draw(st.sampled_from(USERS)),
        directory=draw(directories(names)),
        events=[draw(events(names, NOW + timedelta(minutes=i + 1))) for i in range(count)],
    )


def with_directory(event: Event, directory: Mapping[str, frozenset[str]]) -> Event:
    """The shell passes its current resolution with every event that may open an order."""
    if isinstance(event, Decide):
        return Decide(
            actor_id=event.actor_id,
            outcome=event.outcome,
            comment=event.comment,
            step_name=event.step_name,
            delegators=event.delegators,
            now=event.now,
            approvers=directory,
        )
    if isinstance(event, StepTimedOut):
        return StepTimedOut(step_name=event.step_name, now=event.now, approvers=directory)
    if isinstance(event, EscalationDue):
        return EscalationDue(
            step_name=event.step_name, to=event.to, reason=event.reason, now=event.now, approvers=directory
        )
    return event


def check_state(definition: DefinitionSpec, state: InstanceState) -> None:
    specs = {s.name: s for s in definition.steps}
    for step in state.steps:
        spec = specs[step.name]
        principals = [d.principal_id for d in step.decisions]
        assert len(principals) == len(set(principals)), "an approver was counted twice"
        assert len({d.user_id for d in step.decisions}) == len(step.decisions), "a user decided twice"
        if not definition.allow_self_approval:
            assert state.requester_id not in {*principals, *(d.user_id for d in step.decisions)}
            assert state.requester_id not in (step.eligible_ids or frozenset()), "four-eyes: never an approver"
        approvals = {d.principal_id for d in step.decisions if d.outcome == "approved"}
        if step.status == "approved":
            assert len(approvals) >= spec.min_approvals
        if step.status == "pending":
            assert len(approvals) < spec.min_approvals
        assert not (spec.required and step.status == "skipped"), "a required step was skipped"
        assert not step.flagged or (spec.required and step.status == "pending")
    required = [s for s in state.steps if specs[s.name].required]
    if state.status == "approved":
        assert all(s.status == "approved" for s in required)
        assert all(s.status != "pending" for s in state.steps)
    if state.status == "rejected":
        assert any(s.status == "rejected" for s in required)
    if state.status != "pending":
        assert state.current_step is None
        return
    pending_orders = [s.order for s in state.steps if s.status == "pending"]
    assert state.current_step == min(pending_orders)
    for step in state.steps:
        opened = step.order <= state.current_step
        assert (step.eligible_ids is not None) == opened, "only reached orders have resolved approvers"
        assert opened or not step.decisions


def check_transition(definition: DefinitionSpec, before: InstanceState, event: Event, transition: Transition) -> None:
    after = transition.state
    if before.status != "pending":
        assert after == before, "a finished instance never changes"
    ended = before.status == "pending" and after.status != "pending"
    assert len([e for e in transition.effects if isinstance(e, Finished)]) == (1 if ended else 0)
    if after.status == "cancelled" and ended:
        assert isinstance(event, Cancel)
    for old, new in zip(before.steps, after.steps, strict=True):
        assert new.decisions[: len(old.decisions)] == old.decisions, "decisions are append-only"
        for decision in new.decisions[len(old.decisions) :]:
            assert isinstance(event, Decide)
            assert decision.user_id == event.actor_id
            assert decision.principal_id in (old.eligible_ids or frozenset())
            assert decision.on_behalf_of is None or decision.on_behalf_of in event.delegators
    assert engine.from_dict(engine.to_dict(after)) == after


def check_decidable_steps(
    definition: DefinitionSpec, before: InstanceState, event: Decide, outcome: Transition | ApprovalError
) -> None:
    """A decision without a step touches exactly the steps decidable_steps offered, or is refused if none."""
    if event.step_name is not None or before.status != "pending" or not (event.comment or event.outcome == "approved"):
        return
    offered = engine.decidable_steps(definition, before, event.actor_id, event.delegators)
    if isinstance(outcome, ApprovalError):
        assert offered == ()
        return
    touched = tuple(
        new.name
        for old, new in zip(before.steps, outcome.state.steps, strict=True)
        if len(new.decisions) > len(old.decisions)
    )
    assert touched == offered


@FAST
@given(scenarios())
def test_random_runs_keep_every_invariant(scenario: Scenario) -> None:
    definition, directory = scenario.definition, scenario.directory
    fresh = engine.new_instance(definition, scenario.requester_id)
    transition = engine.apply(definition, fresh, Start(now=NOW, approvers=directory))
    check_transition(definition, fresh, Start(now=NOW), transition)
    state = transition.state
    check_state(definition, state)
    finishes = len([e for e in transition.effects if isinstance(e, Finished)])

    for raw in scenario.events:
        if isinstance(raw, RefreshApprovers):
            directory = dict(raw.approvers)
        event = with_directory(raw, directory)
        try:
            outcome: Transition | ApprovalError = engine.apply(definition, state, event)
        except ApprovalError as refusal:
            outcome = refusal
        if isinstance(event, Decide):
            check_decidable_steps(definition, state, event, outcome)
        if isinstance(outcome, ApprovalError):
            continue
        check_transition(definition, state, event, outcome)
        finishes += len([e for e in outcome.effects if isinstance(e, Finished)])
        state = outcome.state
        check_state(definition, state)

    assert finishes == (0 if state.status == "pending" else 1)


@FAST
@given(scenarios(max_events=0))
def test_preview_matches_who_is_asked_first(scenario: Scenario) -> None:
    definition, requester = scenario.definition, scenario.requester_id
    orders = engine.preview(definition, scenario.directory, requester)
    first = engine.start_instance(definition, requester_id=requester, approvers=scenario.directory, now=NOW)

    assert [o.order for o in orders] == sorted({s.order for s in definition.steps})
    for step in orders[0].steps:
        assert frozenset(step.approver_ids) == first.state.step(step.name).eligible_ids
        if not definition.allow_self_approval:
            assert requester not in step.approver_ids
