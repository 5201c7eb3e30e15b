"""EscalationDue: after escalate_after an open step gains (or is handed to) its escalation targets, once.

Reminders keep going to whoever has not decided, newcomers included, until the step is decided; four-eyes holds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenantplane.approvals import engine
from tenantplane.approvals.engine import (
    Decide,
    DefinitionSpec,
    EscalateStep,
    EscalationDue,
    FourEyesRefused,
    InvalidDefinition,
    NotEligible,
    NotifyApprovers,
    RemindApprovers,
    ReminderDue,
    ScheduleEscalation,
    ScheduleReminder,
    StepSpec,
    Transition,
)
from tenantplane.approvals.engine.rules import quorum_shortfall

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
REQUESTER = "req"
USERS = ("ann", "bob", "cal", "dee", "req")
DIRECTORY = {"lead": frozenset({"ann", "bob"}), "cab": frozenset({"cal"})}


def approve(actor: str, now: datetime = LATER) -> Decide:
    return Decide(actor_id=actor, outcome="approved", now=now, approvers=DIRECTORY)


def ladder(*, replaces: bool = False, min_approvals: int = 1, allow_self_approval: bool = False) -> DefinitionSpec:
    lead = StepSpec(
        name="lead",
        order=1,
        approver_type="group",
        approver_value="leads",
        min_approvals=min_approvals,
        remind_after_seconds=60,
        escalate_after_seconds=300,
        escalate_to="manager",
        escalation_replaces=replaces,
    )
    cab = StepSpec(name="cab", order=2, approver_type="role", approver_value="cab")
    return DefinitionSpec(steps=(lead, cab), allow_self_approval=allow_self_approval)


def started(definition: DefinitionSpec, leads: str = "ann bob") -> Transition:
    approvers = {"lead": frozenset(leads.split()), "cab": frozenset({"cal"})}
    return engine.start_instance(definition, requester_id=REQUESTER, approvers=approvers, now=NOW)


def due(to: str, step_name: str = "lead") -> EscalationDue:
    targets = frozenset(to.split())
    return EscalationDue(step_name=step_name, to=targets, reason="to the managers", now=LATER, approvers=DIRECTORY)


def test_opening_a_step_schedules_its_escalation() -> None:
    assert ScheduleEscalation("lead", 300) in started(ladder()).effects


def test_escalation_adds_the_targets_and_the_original_approvers_may_still_decide() -> None:
    definition = ladder()
    escalated = engine.apply(definition, started(definition).state, due("boss"))
    lead = escalated.state.step("lead")
    assert lead.eligible_ids == frozenset({"ann", "bob", "boss"})
    assert lead.escalation == "to the managers"
    assert escalated.effects == (NotifyApprovers("lead", frozenset({"boss"})),)
    by_ann = engine.apply(definition, escalated.state, approve("ann", LATER))
    assert by_ann.state.step("lead").status == "approved"


def test_escalation_that_replaces_hands_the_step_to_the_targets_only() -> None:
    definition = ladder(replaces=True)
    escalated = engine.apply(definition, started(definition).state, due("boss"))
    assert escalated.state.step("lead").eligible_ids == frozenset({"boss"})
    with pytest.raises(NotEligible):
        engine.apply(definition, escalated.state, approve("ann", LATER))
    by_boss = engine.apply(definition, escalated.state, approve("boss", LATER))
    assert (by_boss.state.current_step, by_boss.state.step("lead").status) == (2, "approved")
    assert engine.step_results(by_boss.state)[0]["escalation"] == "to the managers"


def test_a_replacing_escalation_too_small_for_the_quorum_adds_instead() -> None:
    definition = ladder(replaces=True, min_approvals=2)
    escalated = engine.apply(definition, started(definition).state, due("boss"))
    lead = escalated.state.step("lead")
    assert lead.eligible_ids == frozenset({"ann", "bob", "boss"}), "never left undecidable by its escalation"
    assert "too few to replace them" in (lead.escalation or "")


def test_escalation_happens_once_per_step() -> None:
    definition = ladder()
    once = engine.apply(definition, started(definition).state, due("boss"))
    again = engine.apply(definition, once.state, due("dee"))
    assert again.state == once.state
    assert again.effects == ()


def test_a_decided_step_is_not_escalated() -> None:
    definition = ladder()
    decided = engine.apply(definition, started(definition).state, approve("ann", NOW))
    late = engine.apply(definition, decided.state, due("boss"))
    assert (late.state, late.effects) == (decided.state, ())


def test_four_eyes_never_adds_the_requester_or_the_beneficiary() -> None:
    definition = ladder()
    fresh = engine.start_instance(
        definition,
        requester_id=REQUESTER,
        requested_for_id="dee",
        approvers={"lead": frozenset({"ann"}), "cab": frozenset({"cal"})},
        now=NOW,
    )
    escalated = engine.apply(definition, fresh.state, due("req dee boss"))
    assert escalated.state.step("lead").eligible_ids == frozenset({"ann", "boss"})
    with pytest.raises(FourEyesRefused):
        engine.apply(definition, escalated.state, approve("req", LATER))


def test_an_escalation_to_nobody_keeps_the_approvers_and_tells_the_admins() -> None:
    definition = ladder(replaces=True)
    escalated = engine.apply(definition, started(definition).state, due("req"))
    lead = escalated.state.step("lead")
    assert lead.eligible_ids == frozenset({"ann", "bob"})
    assert [type(e) for e in escalated.effects] == [EscalateStep]
    assert engine.apply(definition, escalated.state, due("boss")).effects == (), "still once"


def test_self_approval_lets_the_requester_be_an_escalation_target() -> None:
    definition = ladder(allow_self_approval=True)
    escalated = engine.apply(definition, started(definition).state, due("req"))
    assert "req" in (escalated.state.step("lead").eligible_ids or frozenset())


def test_reminders_repeat_to_the_undecided_including_newcomers_and_stop_once_decided() -> None:
    definition = ladder(min_approvals=2)
    state = engine.apply(definition, started(definition).state, due("boss")).state
    state = engine.apply(definition, state, approve("ann", LATER)).state
    reminded = engine.apply(definition, state, ReminderDue(step_name="lead", now=LATER))
    assert reminded.effects == (RemindApprovers("lead", frozenset({"bob", "boss"})), ScheduleReminder("lead", 60))
    duplicate = engine.apply(definition, reminded.state, ReminderDue(step_name="lead", now=LATER))
    assert duplicate.effects == (), "a second job for the same due time reminds nobody"
    next_due = LATER + timedelta(seconds=60)
    again = engine.apply(definition, duplicate.state, ReminderDue(step_name="lead", now=next_due))
    assert again.effects == reminded.effects, "a reminder repeats while the step is undecided"
    state = engine.apply(definition, again.state, approve("boss", LATER)).state
    assert engine.apply(definition, state, ReminderDue(step_name="lead", now=LATER)).effects == ()


def test_the_last_reminder_survives_the_stored_form_and_older_states_read_without_one() -> None:
    definition = ladder()
    reminded = engine.apply(definition, started(definition).state, ReminderDue(step_name="lead", now=LATER)).state
    assert reminded.steps[0].reminded_at == LATER
    assert engine.from_dict(engine.to_dict(reminded)) == reminded
    assert "reminded_at" not in engine.to_dict(started(definition).state)["steps"][0]


def test_the_escalation_survives_the_stored_form() -> None:
    definition = ladder()
    escalated = engine.apply(definition, started(definition).state, due("boss")).state
    assert engine.from_dict(engine.to_dict(escalated)) == escalated
    legacy = engine.to_dict(started(definition).state)
    assert "escalation" not in legacy["steps"][0], "states without an escalation keep their stored shape"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        (
            {"escalate_after_seconds": 600, "escalate_to": "manager", "timeout_seconds": 600},
            "steps[0].escalate_after_seconds",
        ),
        (
            {"escalate_after_seconds": 601, "escalate_to": "fallback", "timeout_seconds": 600},
            "steps[0].escalate_after_seconds",
        ),
        ({"escalate_after_seconds": 60}, "steps[0].escalate_to"),
        ({"escalate_after_seconds": 60, "escalate_to": "boss"}, "steps[0].escalate_to"),
        ({"escalate_after_seconds": 60, "escalate_to": "group: "}, "steps[0].escalate_to"),
        ({"escalate_to": "manager"}, "steps[0].escalate_to"),
        ({"escalation_replaces": True}, "steps[0].escalation_replaces"),
        ({"escalate_after_seconds": 0, "escalate_to": "manager"}, "steps[0].escalate_after_seconds"),
    ],
)
def test_bad_escalation_settings_are_refused_naming_the_field(options: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidDefinition) as refused:
        DefinitionSpec(steps=(StepSpec(name="a", order=1, approver_type="any", **options),))  # type: ignore[arg-type]
    assert refused.value.field == field


@settings(max_examples=300, deadline=None)
@given(
    leads=st.frozensets(st.sampled_from(USERS), min_size=1),
    to=st.frozensets(st.sampled_from((*USERS, "boss", "eve"))),
    replaces=st.booleans(),
    quorum=st.integers(1, 3),
    decided_first=st.sampled_from((None, *USERS)),
    repeats=st.integers(1, 3),
)
def test_escalation_keeps_four_eyes_quorum_and_happens_at_most_once(
    leads: frozenset[str],
    to: frozenset[str],
    replaces: bool,
    quorum: int,
    decided_first: str | None,
    repeats: int,
) -> None:
    definition = ladder(replaces=replaces, min_approvals=quorum)
    approvers = {"lead": leads, "cab": frozenset({"cal"})}
    state = engine.start_instance(definition, requester_id=REQUESTER, approvers=approvers, now=NOW).state
    if decided_first is not None:
        try:
            state = engine.apply(definition, state, approve(decided_first, NOW)).state
        except engine.ApprovalError:
            pass
    before = state.step("lead")
    event = EscalationDue(step_name="lead", to=to, reason="r", now=LATER, approvers=approvers)
    transitions: list[Transition] = []
    for _ in range(repeats):
        transitions.append(engine.apply(definition, state, event))
        state = transitions[-1].state
    after = state.step("lead")
    assert all(t.state == transitions[0].state for t in transitions), "a second escalation changes nothing"
    assert all(t.effects == () for t in transitions[1:])
    assert REQUESTER not in (after.eligible_ids or frozenset()), "four-eyes: the requester is never an approver"
    if before.status != "pending":
        assert (after, transitions[0].effects) == (before, ())
        return
    old, new, targets = before.eligible_ids or frozenset(), after.eligible_ids or frozenset(), to - {REQUESTER}
    assert after.escalation is not None
    assert new in (old | targets, targets if replaces else old | targets), "targets join or replace the approvers"
    assert after.decisions == before.decisions
    spec = definition.step("lead")
    if quorum_shortfall(spec, before) is None:
        assert quorum_shortfall(spec, after) is None, "an escalation never makes a step undecidable"
    notified = {u for e in transitions[0].effects if isinstance(e, NotifyApprovers) for u in e.user_ids}
    heard = {d.principal_id for d in after.decisions} | {d.user_id for d in after.decisions}
    assert notified == (new - old - heard if after.status == "pending" else set())
