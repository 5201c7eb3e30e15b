"""Unit tests of the pure ITSM approval engine, one rule of PRODUCT.md §3 / §10 per test.

Plain objects in, plain objects out: no database, no app, microseconds per test.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tenantplane.approvals import engine
from tenantplane.approvals.engine import (
    AlreadyDecided,
    AlreadyStarted,
    ApprovalError,
    ApproversNotResolved,
    Cancel,
    CommentRequired,
    Decide,
    DefinitionSpec,
    EscalateStep,
    Event,
    Finished,
    FlagEmptyApproverSet,
    FourEyesRefused,
    InstanceState,
    InvalidDecision,
    InvalidDefinition,
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
    StepTimedOut,
    Transition,
    UnknownStep,
)

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
REQUESTER = "req"


def step(name: str, order: int, **options: Any) -> StepSpec:
    options.setdefault("approver_type", "group")
    options.setdefault("approver_value", name)
    return StepSpec(name=name, order=order, **options)


def define(*steps: StepSpec, allow_self_approval: bool = False) -> DefinitionSpec:
    return DefinitionSpec(steps=steps, allow_self_approval=allow_self_approval)


def sets(**approvers: str) -> dict[str, frozenset[str]]:
    """sets(cab="ann bob") → {"cab": frozenset({"ann", "bob"})}."""
    return {name: frozenset(ids.split()) for name, ids in approvers.items()}


def start(definition: DefinitionSpec, approvers: Mapping[str, frozenset[str]]) -> Transition:
    return engine.start_instance(definition, requester_id=REQUESTER, approvers=approvers, now=NOW)


def approve(actor: str, **options: Any) -> Decide:
    return Decide(actor_id=actor, outcome="approved", now=LATER, **options)


def reject(actor: str, comment: str | None = "not now", **options: Any) -> Decide:
    return Decide(actor_id=actor, outcome="rejected", comment=comment, now=LATER, **options)


def statuses(state: InstanceState) -> dict[str, str]:
    return {s.name: s.status for s in state.steps}


def finished(transition: Transition) -> list[Finished]:
    return [e for e in transition.effects if isinstance(e, Finished)]


# --- order, parallel steps, outcome --------------------------------------------------------------------


def test_start_opens_the_lowest_order_and_notifies_its_approvers() -> None:
    definition = define(step("finance", 2), step("manager", 1, approver_type="manager", approver_value=None))
    transition = start(definition, sets(manager="mia", finance="fay"))

    assert transition.state.status == "pending"
    assert transition.state.current_step == 1
    assert transition.effects == (NotifyApprovers("manager", frozenset({"mia"})),)
    assert transition.state.step("finance").eligible_ids is None


def test_steps_run_in_ascending_order() -> None:
    definition = define(step("cab", 3), step("manager", 1), step("finance", 2))
    approvers = sets(manager="mia", finance="fay", cab="cal")
    state = start(definition, approvers).state

    for actor, next_order in (("mia", 2), ("fay", 3)):
        state = engine.apply(definition, state, approve(actor, approvers=approvers)).state
        assert state.current_step == next_order
    transition = engine.apply(definition, state, approve("cal", approvers=approvers))

    assert transition.state.status == "approved"
    assert transition.state.current_step is None
    assert finished(transition) == [Finished("approved")]
    assert NotifyRequester("approved") in transition.effects


def test_parallel_steps_share_an_order() -> None:
    definition = define(step("security", 1), step("finance", 1), step("cab", 2))
    approvers = sets(security="sam", finance="fay", cab="cal")
    opened = start(definition, approvers)
    assert {e.step_name for e in opened.effects if isinstance(e, NotifyApprovers)} == {"security", "finance"}

    state = engine.apply(definition, opened.state, approve("sam", approvers=approvers)).state
    assert state.current_step == 1, "the next order waits until every step of this one finished"
    assert statuses(state) == {"security": "approved", "finance": "pending", "cab": "pending"}

    state = engine.apply(definition, state, approve("fay", approvers=approvers)).state
    assert state.current_step == 2


def test_rejecting_a_required_step_rejects_the_instance() -> None:
    definition = define(step("security", 1), step("finance", 1), step("cab", 2))
    approvers = sets(security="sam", finance="fay", cab="cal")
    state = start(definition, approvers).state

    transition = engine.apply(definition, state, reject("sam", comment="open ports"))

    assert transition.state.status == "rejected"
    assert transition.state.current_step is None
    # Steps nobody decided keep `pending`; the instance's status explains them.
    assert statuses(transition.state) == {"security": "rejected", "finance": "pending", "cab": "pending"}
    assert finished(transition) == [Finished("rejected")]
    assert transition.state.finished_at == LATER


def test_optional_step_rejection_moves_on() -> None:
    definition = define(step("advice", 1, required=False), step("cab", 2))
    approvers = sets(advice="ada", cab="cal")
    state = start(definition, approvers).state

    transition = engine.apply(definition, state, reject("ada", comment="I would wait", approvers=approvers))

    assert transition.state.status == "pending"
    assert transition.state.current_step == 2
    assert statuses(transition.state) == {"advice": "rejected", "cab": "pending"}
    assert transition.state.step("advice").decisions[0].comment == "I would wait"
    assert NotifyApprovers("cab", frozenset({"cal"})) in transition.effects


def test_all_steps_optional_and_rejected_still_approves_the_instance() -> None:
    definition = define(step("advice", 1, required=False))
    state = start(definition, sets(advice="ada")).state

    transition = engine.apply(definition, state, reject("ada", approvers={}))

    assert transition.state.status == "approved"


# --- quorum and delegation -----------------------------------------------------------------------------


def test_quorum_counts_distinct_users() -> None:
    definition = define(step("cab", 1, min_approvals=2))
    state = start(definition, sets(cab="ann bob cal")).state

    state = engine.apply(definition, state, approve("ann")).state
    assert state.step("cab").status == "pending"
    with pytest.raises(AlreadyDecided):
        engine.apply(definition, state, approve("ann"))

    state = engine.apply(definition, state, approve("bob", approvers={})).state
    assert state.status == "approved"
    assert [d.user_id for d in state.step("cab").decisions] == ["ann", "bob"]


def test_delegate_decision_records_both() -> None:
    definition = define(step("cab", 1))
    state = start(definition, sets(cab="ann")).state

    state = engine.apply(definition, state, approve("dan", delegators=frozenset({"ann"}), approvers={})).state

    decision = state.step("cab").decisions[0]
    assert (decision.user_id, decision.on_behalf_of, decision.principal_id) == ("dan", "ann", "ann")
    assert state.status == "approved"


def test_delegate_approval_counts_for_the_principal_only_once() -> None:
    definition = define(step("cab", 1, min_approvals=2))
    state = start(definition, sets(cab="ann bob")).state
    state = engine.apply(definition, state, approve("ann")).state

    with pytest.raises(AlreadyDecided):
        engine.apply(definition, state, approve("dan", delegators=frozenset({"ann"})))
    assert state.step("cab").status == "pending"


def test_a_delegate_for_several_approvers_decides_once_per_step() -> None:
    definition = define(step("cab", 1, min_approvals=2))
    state = start(definition, sets(cab="ann bob cal")).state
    stand_in = frozenset({"ann", "bob"})

    state = engine.apply(definition, state, approve("dan", delegators=stand_in)).state
    assert state.step("cab").decisions[0].on_behalf_of == "ann"
    with pytest.raises(AlreadyDecided):
        engine.apply(definition, state, approve("dan", delegators=stand_in))


def test_an_eligible_delegate_decides_as_themselves() -> None:
    definition = define(step("cab", 1, min_approvals=2))
    state = start(definition, sets(cab="ann bob")).state

    state = engine.apply(definition, state, approve("bob", delegators=frozenset({"ann"}))).state

    assert state.step("cab").decisions[0].on_behalf_of is None
    state = engine.apply(definition, state, approve("ann", approvers={})).state
    assert state.status == "approved"


# --- four-eyes -----------------------------------------------------------------------------------------


def test_requester_cannot_approve_own_request() -> None:
    definition = define(step("cab", 1))
    transition = start(definition, sets(cab=f"ann {REQUESTER}"))

    assert transition.effects == (NotifyApprovers("cab", frozenset({"ann"})),)
    with pytest.raises(NotEligible, match="four-eyes"):
        engine.apply(definition, transition.state, approve(REQUESTER))


def test_requester_cannot_decide_as_a_delegate_either() -> None:
    definition = define(step("cab", 1))
    state = start(definition, sets(cab="ann")).state

    with pytest.raises(NotEligible, match="four-eyes"):
        engine.apply(definition, state, approve(REQUESTER, delegators=frozenset({"ann"})))
    assert engine.decidable_steps(definition, state, REQUESTER, frozenset({"ann"})) == ()


def test_requester_alone_in_the_group_leaves_the_step_without_approvers() -> None:
    definition = define(step("cab", 1))
    state = start(definition, sets(cab=REQUESTER)).state

    assert state.step("cab").flagged
    assert state.status == "pending"


def test_self_approval_when_the_definition_allows_it() -> None:
    definition = define(step("cab", 1), allow_self_approval=True)
    state = start(definition, sets(cab=REQUESTER)).state

    state = engine.apply(definition, state, approve(REQUESTER, approvers={})).state

    assert state.status == "approved"


BENEFICIARY = "ben"


def start_for(definition: DefinitionSpec, approvers: Mapping[str, frozenset[str]]) -> Transition:
    """A request the requester submitted for BENEFICIARY."""
    return engine.start_instance(
        definition, requester_id=REQUESTER, requested_for_id=BENEFICIARY, approvers=approvers, now=NOW
    )


def test_the_person_a_request_is_for_is_left_out_and_refused_too() -> None:
    definition = define(step("cab", 1))
    transition = start_for(definition, sets(cab=f"ann {REQUESTER} {BENEFICIARY}"))

    assert transition.effects == (NotifyApprovers("cab", frozenset({"ann"})),)
    for person in (REQUESTER, BENEFICIARY):
        with pytest.raises(FourEyesRefused, match="four-eyes"):
            engine.apply(definition, transition.state, approve(person))
    with pytest.raises(FourEyesRefused, match="the person the request is for"):
        engine.apply(definition, transition.state, approve(BENEFICIARY, delegators=frozenset({"ann"})))
    assert engine.decidable_steps(definition, transition.state, BENEFICIARY, frozenset({"ann"})) == ()


def test_a_step_only_the_requester_and_beneficiary_could_approve_is_flagged() -> None:
    definition = define(step("cab", 1))
    state = start_for(definition, sets(cab=f"{REQUESTER} {BENEFICIARY}")).state

    assert (state.status, state.step("cab").flagged) == ("pending", True)


def test_a_request_for_oneself_has_no_separate_beneficiary() -> None:
    state = engine.new_instance(define(step("cab", 1)), REQUESTER, REQUESTER)

    assert state.requested_for_id is None


def test_the_beneficiary_survives_storage_and_older_states_have_none() -> None:
    state = start_for(define(step("cab", 1)), sets(cab="ann")).state
    stored = json.loads(json.dumps(engine.to_dict(state)))

    assert engine.from_dict(stored) == state
    del stored["requested_for_id"]  # a state saved before requests could be for someone else
    assert engine.from_dict(stored).requested_for_id is None


def test_preview_leaves_the_beneficiary_out_with_a_note() -> None:
    definition = define(step("cab", 1))
    [order] = engine.preview(definition, sets(cab=f"ann {BENEFICIARY}"), REQUESTER, BENEFICIARY)

    assert order.steps[0].approver_ids == ("ann",)
    assert order.steps[0].notes == ("the person the request is for is left out by the four-eyes rule",)


# --- approver sets nobody can satisfy ------------------------------------------------------------------


def test_empty_required_group_is_flagged_not_approved() -> None:
    definition = define(step("cab", 1))
    transition = start(definition, sets(cab=""))

    assert transition.state.status == "pending"
    assert transition.state.current_step == 1
    cab = transition.state.step("cab")
    assert (cab.status, cab.flagged, cab.reason) == ("pending", True, "no eligible approvers (group cab)")
    assert transition.effects == (FlagEmptyApproverSet("cab", "no eligible approvers (group cab)"),)
    with pytest.raises(NotEligible):
        engine.apply(definition, transition.state, approve("ann"))


def test_empty_optional_step_is_skipped_with_a_reason() -> None:
    definition = define(step("advice", 1, required=False), step("cab", 2))
    transition = start(definition, sets(advice="", cab="cal"))

    advice = transition.state.step("advice")
    assert (advice.status, advice.reason) == ("skipped", "no eligible approvers (group advice)")
    assert transition.state.current_step == 2


def test_quorum_larger_than_the_group_is_flagged() -> None:
    definition = define(step("cab", 1, min_approvals=3))
    transition = start(definition, sets(cab="ann bob"))

    assert transition.state.step("cab").flagged
    assert FlagEmptyApproverSet("cab", "quorum of 3 cannot be met by 2 eligible approvers") in transition.effects
    assert NotifyApprovers("cab", frozenset({"ann", "bob"})) in transition.effects


def test_refreshing_approvers_unflags_the_step_and_notifies_the_new_ones() -> None:
    definition = define(step("cab", 1))
    state = start(definition, sets(cab="")).state

    transition = engine.apply(definition, state, RefreshApprovers(now=LATER, approvers=sets(cab="ann")))

    cab = transition.state.step("cab")
    assert (cab.flagged, cab.reason, cab.eligible_ids) == (False, None, frozenset({"ann"}))
    assert transition.effects == (NotifyApprovers("cab", frozenset({"ann"})),)
    assert engine.apply(definition, transition.state, approve("ann", approvers={})).state.status == "approved"


def test_refreshing_an_optional_step_to_nobody_skips_it_and_moves_on() -> None:
    definition = define(step("advice", 1, required=False), step("cab", 2))
    state = start(definition, sets(advice="ada", cab="cal")).state

    transition = engine.apply(definition, state, RefreshApprovers(now=LATER, approvers=sets(advice="", cab="cal")))

    assert statuses(transition.state) == {"advice": "skipped", "cab": "pending"}
    assert transition.state.current_step == 2


def test_a_missing_approver_set_is_a_loud_error_not_a_skip() -> None:
    definition = define(step("advice", 1, required=False))

    with pytest.raises(ApproversNotResolved):
        start(definition, {})


# --- timeouts and reminders ----------------------------------------------------------------------------


def test_opening_a_step_schedules_its_timeout_and_reminder() -> None:
    definition = define(step("cab", 1, timeout_seconds=3600, on_timeout="reject", remind_after_seconds=600))
    transition = start(definition, sets(cab="ann"))

    assert ScheduleTimeout("cab", 3600) in transition.effects
    assert ScheduleReminder("cab", 600) in transition.effects


@pytest.mark.parametrize(
    ("required", "on_timeout", "step_status", "instance_status"),
    [
        (True, "reject", "rejected", "rejected"),
        (False, "reject", "rejected", "approved"),
        (False, "skip", "skipped", "approved"),
        (True, "escalate", "pending", "pending"),
        (False, "escalate", "pending", "pending"),
    ],
)
def test_timeout_outcomes(required: bool, on_timeout: str, step_status: str, instance_status: str) -> None:
    definition = define(step("cab", 1, required=required, timeout_seconds=60, on_timeout=on_timeout))
    state = start(definition, sets(cab="ann")).state

    transition = engine.apply(definition, state, StepTimedOut(step_name="cab", now=LATER, approvers={}))

    cab = transition.state.step("cab")
    assert (cab.status, transition.state.status) == (step_status, instance_status)
    if step_status != "pending":
        assert cab.reason == "timed out"
    if on_timeout == "escalate":
        assert transition.effects == (EscalateStep("cab", "step 'cab' timed out without a decision"),)


def test_escalation_happens_once() -> None:
    definition = define(step("cab", 1, timeout_seconds=60, on_timeout="escalate"))
    state = start(definition, sets(cab="ann")).state
    timed_out = StepTimedOut(step_name="cab", now=LATER)

    state = engine.apply(definition, state, timed_out).state
    again = engine.apply(definition, state, timed_out)

    assert again == Transition(state)


def test_a_timeout_without_an_outcome_escalates() -> None:
    definition = define(step("cab", 1, timeout_seconds=60))
    state = start(definition, sets(cab="ann")).state

    transition = engine.apply(definition, state, StepTimedOut(step_name="cab", now=LATER))

    assert transition.state.step("cab").status == "pending"
    assert isinstance(transition.effects[0], EscalateStep)


def test_a_late_timeout_is_a_no_op() -> None:
    definition = define(step("cab", 1, timeout_seconds=60, on_timeout="reject"), step("finance", 2))
    approvers = sets(cab="ann", finance="fay")
    state = start(definition, approvers).state
    state = engine.apply(definition, state, approve("ann", approvers=approvers)).state

    assert engine.apply(definition, state, StepTimedOut(step_name="cab", now=LATER)) == Transition(state)
    not_reached = StepTimedOut(step_name="finance", now=LATER)
    fresh = engine.new_instance(definition, REQUESTER)
    assert engine.apply(definition, fresh, not_reached) == Transition(fresh)


def test_a_timeout_of_a_flagged_step_can_reject_it() -> None:
    definition = define(step("cab", 1, timeout_seconds=60, on_timeout="reject"))
    state = start(definition, sets(cab="")).state

    transition = engine.apply(definition, state, StepTimedOut(step_name="cab", now=LATER))

    assert transition.state.status == "rejected"
    assert not transition.state.step("cab").flagged


def test_reminders_go_to_those_who_have_not_decided_and_repeat() -> None:
    definition = define(step("cab", 1, min_approvals=2, remind_after_seconds=600))
    state = start(definition, sets(cab="ann bob")).state
    state = engine.apply(definition, state, approve("ann")).state

    transition = engine.apply(definition, state, ReminderDue(step_name="cab", now=LATER))

    # Only the time of the reminder is remembered (so that a second job for the same due time reminds nobody).
    assert transition.state.step("cab").reminded_at == LATER
    forgotten = tuple(replace(s, reminded_at=None) for s in transition.state.steps)
    assert replace(transition.state, steps=forgotten) == state
    assert transition.effects == (RemindApprovers("cab", frozenset({"bob"})), ScheduleReminder("cab", 600))
    state = engine.apply(definition, state, approve("bob", approvers={})).state
    assert engine.apply(definition, state, ReminderDue(step_name="cab", now=LATER)).effects == ()


# --- refusals ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["approve", "reject", "cancel"])
def test_decision_on_finished_instance_is_refused(ending: str) -> None:
    definition = define(step("cab", 1))
    state = start(definition, sets(cab="ann bob")).state
    end: dict[str, Event] = {
        "approve": approve("ann"),
        "reject": reject("ann"),
        "cancel": Cancel(actor_id=REQUESTER, now=LATER),
    }
    state = engine.apply(definition, state, end[ending]).state

    with pytest.raises(NotPending) as refused:
        engine.apply(definition, state, approve("bob"))
    assert refused.value.status_code == 409
    with pytest.raises(NotPending):
        engine.apply(definition, state, Cancel(actor_id=REQUESTER, now=LATER))


def test_cancel_finishes_the_instance_exactly_once() -> None:
    definition = define(step("cab", 1), step("finance", 2))
    state = start(definition, sets(cab="ann")).state

    transition = engine.apply(definition, state, Cancel(actor_id=REQUESTER, now=LATER))

    assert (transition.state.status, transition.state.current_step) == ("cancelled", None)
    assert transition.effects == (Finished("cancelled"), NotifyRequester("cancelled"))


def test_user_who_already_decided_is_refused() -> None:
    definition = define(step("cab", 1, min_approvals=2))
    state = start(definition, sets(cab="ann bob")).state
    state = engine.apply(definition, state, approve("ann")).state

    with pytest.raises(AlreadyDecided):
        engine.apply(definition, state, reject("ann"))


@pytest.mark.parametrize("comment", [None, "", "   "])
def test_reject_requires_a_comment(comment: str | None) -> None:
    definition = define(step("cab", 1))
    state = start(definition, sets(cab="ann")).state

    with pytest.raises(CommentRequired) as refused:
        engine.apply(definition, state, reject("ann", comment=comment))
    assert refused.value.status_code == 422


def test_approval_comment_is_optional_and_blank_is_stored_as_none() -> None:
    definition = define(step("cab", 1))
    state = start(definition, sets(cab="ann")).state

    state = engine.apply(definition, state, approve("ann", comment="  ", approvers={})).state

    assert state.step("cab").decisions[0].comment is None


def test_non_approver_is_refused() -> None:
    definition = define(step("cab", 1))
    state = start(definition, sets(cab="ann")).state

    with pytest.raises(NotEligible) as refused:
        engine.apply(definition, state, approve("eve"))
    assert refused.value.status_code == 403


def test_an_unknown_outcome_is_refused() -> None:
    with pytest.raises(InvalidDecision):
        Decide(actor_id="ann", outcome="maybe", now=NOW)  # type: ignore[arg-type]


def test_start_twice_is_refused() -> None:
    definition = define(step("cab", 1))
    state = start(definition, sets(cab="ann")).state

    with pytest.raises(AlreadyStarted):
        engine.apply(definition, state, Start(now=LATER, approvers=sets(cab="ann")))


def test_a_not_started_instance_takes_no_decisions() -> None:
    definition = define(step("cab", 1))

    with pytest.raises(NotPending, match="not started"):
        engine.apply(definition, engine.new_instance(definition, REQUESTER), approve("ann"))


# --- which steps a decision applies to -----------------------------------------------------------------


def test_decision_without_step_applies_to_every_step_the_caller_may_decide() -> None:
    definition = define(step("security", 1), step("finance", 1), step("legal", 1))
    state = start(definition, sets(security="ann", finance="ann bob", legal="lee")).state

    state = engine.apply(definition, state, approve("ann")).state

    assert statuses(state) == {"security": "approved", "finance": "approved", "legal": "pending"}


def test_decision_without_step_leaves_out_steps_the_caller_already_decided() -> None:
    definition = define(step("security", 1, min_approvals=2), step("finance", 1, min_approvals=2))
    state = start(definition, sets(security="ann bob", finance="ann bob")).state
    state = engine.apply(definition, state, approve("ann", step_name="security")).state

    state = engine.apply(definition, state, approve("ann")).state

    assert [d.user_id for d in state.step("finance").decisions] == ["ann"]
    assert len(state.step("security").decisions) == 1
    with pytest.raises(AlreadyDecided):
        engine.apply(definition, state, approve("ann"))


def test_decision_naming_a_step_decides_only_that_step() -> None:
    definition = define(step("security", 1), step("finance", 1))
    state = start(definition, sets(security="ann", finance="ann")).state

    state = engine.apply(definition, state, reject("ann", step_name="finance")).state

    assert statuses(state) == {"security": "pending", "finance": "rejected"}
    assert state.status == "rejected"


def test_decision_naming_a_step_that_is_not_current_is_refused() -> None:
    definition = define(step("cab", 1), step("finance", 2))
    state = start(definition, sets(cab="ann", finance="ann")).state

    with pytest.raises(StepNotCurrent, match="not reached yet") as refused:
        engine.apply(definition, state, approve("ann", step_name="finance"))
    assert refused.value.status_code == 409


def test_decision_naming_an_unknown_step_is_refused() -> None:
    definition = define(step("cab", 1))
    state = start(definition, sets(cab="ann")).state

    with pytest.raises(UnknownStep):
        engine.apply(definition, state, approve("ann", step_name="nope"))


def test_a_late_decision_on_a_step_someone_else_already_closed_is_a_conflict_not_a_refusal() -> None:
    """§10: a decision on an already-decided gate is 409 — also when the instance moved on to other approvers."""
    definition = define(step("cab", 1), step("finance", 2))
    state = start(definition, sets(cab="ann bob", finance="fay")).state
    state = engine.apply(definition, state, approve("ann", approvers=sets(finance="fay"))).state
    assert state.current_step == 2

    for late in (approve("bob"), approve("dan", delegators=frozenset({"bob"}))):
        with pytest.raises(StepNotCurrent, match="already approved") as refused:
            engine.apply(definition, state, late)
        assert refused.value.status_code == 409
    with pytest.raises(NotEligible):
        engine.apply(definition, state, approve("eve"))


def test_decidable_steps_are_exactly_what_a_decision_would_touch() -> None:
    definition = define(step("security", 1), step("finance", 1), step("cab", 2))
    state = start(definition, sets(security="ann", finance="bob", cab="ann")).state

    assert engine.decidable_steps(definition, state, "ann") == ("security",)
    assert engine.decidable_steps(definition, state, "dan", frozenset({"bob"})) == ("finance",)
    assert engine.decidable_steps(definition, state, "eve") == ()


def test_steps_to_resolve_are_the_still_pending_steps() -> None:
    definition = define(step("cab", 1), step("finance", 2))
    approvers = sets(cab="ann", finance="fay")
    state = start(definition, approvers).state
    assert engine.steps_to_resolve(state) == ("cab", "finance")

    state = engine.apply(definition, state, approve("ann", approvers=approvers)).state
    assert engine.steps_to_resolve(state) == ("finance",)


# --- "who approves this?" ------------------------------------------------------------------------------


def test_preview_lists_each_order_with_its_approvers() -> None:
    definition = define(step("cab", 2, min_approvals=2), step("security", 1), step("finance", 1))

    orders = engine.preview(definition, sets(cab="ann bob cal", security="sam", finance="fay"), REQUESTER)

    assert [o.order for o in orders] == [1, 2]
    assert [s.name for s in orders[0].steps] == ["security", "finance"]
    assert orders[1].steps[0].approver_ids == ("ann", "bob", "cal")
    assert orders[1].steps[0].notes == ()


def test_preview_leaves_out_the_requester_and_says_so() -> None:
    definition = define(step("cab", 1))

    (order,) = engine.preview(definition, sets(cab=f"ann {REQUESTER}"), REQUESTER)

    assert order.steps[0].approver_ids == ("ann",)
    assert order.steps[0].notes == ("the requester is left out by the four-eyes rule",)


def test_preview_explains_steps_nobody_can_approve() -> None:
    definition = define(step("advice", 1, required=False), step("cab", 2), step("board", 3, min_approvals=2))

    orders = engine.preview(definition, sets(advice="", cab="", board="bea"), REQUESTER)

    notes = [o.steps[0].notes[0] for o in orders]
    assert notes[0] == "no eligible approvers (group advice): this optional step would be skipped"
    assert "flagged to tenant admins" in notes[1]
    assert notes[2].startswith("quorum of 2 cannot be met by 1 eligible approvers")


def test_preview_mentions_timeouts() -> None:
    definition = define(step("cab", 1, timeout_seconds=7200, on_timeout="reject"))

    (order,) = engine.preview(definition, sets(cab="ann"), REQUESTER)

    assert order.steps[0].notes == ("after 7200 s without a decision: reject",)


# --- stored form and API shape -------------------------------------------------------------------------


def test_state_round_trips_through_json() -> None:
    definition = define(step("security", 1), step("finance", 1, min_approvals=2), step("cab", 2))
    approvers = sets(security="sam", finance="fay fred", cab="")
    state = start(definition, approvers).state
    state = engine.apply(definition, state, approve("dan", delegators=frozenset({"fay"}), comment="ok")).state
    state = engine.apply(definition, state, approve("fred")).state
    state = engine.apply(definition, state, approve("sam", approvers=approvers)).state

    stored = json.loads(json.dumps(engine.to_dict(state)))

    assert engine.from_dict(stored) == state
    assert stored["steps"][2]["flagged"] is True


def test_an_unknown_stored_schema_is_refused() -> None:
    with pytest.raises(ValueError, match="schema"):
        engine.from_dict({"schema": 99})


def test_step_results_has_the_api_shape() -> None:
    definition = define(step("cab", 1), step("advice", 2, required=False))
    state = start(definition, sets(cab="ann", advice="")).state
    state = engine.apply(
        definition, state, approve("dan", delegators=frozenset({"ann"}), approvers=sets(advice=""))
    ).state

    assert engine.step_results(state) == [
        {
            "order": 1,
            "name": "cab",
            "status": "approved",
            "decisions": [
                {
                    "user_id": "dan",
                    "on_behalf_of": "ann",
                    "outcome": "approved",
                    "comment": None,
                    "at": LATER.isoformat(),
                }
            ],
            "reason": None,
        },
        {
            "order": 2,
            "name": "advice",
            "status": "skipped",
            "decisions": [],
            "reason": "no eligible approvers (group advice)",
        },
    ]


# --- definitions and error mapping ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "field"),
    [
        ((), "steps"),
        ((step("cab", 0),), "steps[0].order"),
        ((step("cab", 1), step("cab", 2)), "steps[1].name"),
        ((step(" ", 1),), "steps[0].name"),
        ((step("cab", 1, approver_value=None),), "steps[0].approver_value"),
        ((step("cab", 1, approver_type="team"),), "steps[0].approver_type"),
        ((step("cab", 1, min_approvals=0),), "steps[0].min_approvals"),
        ((step("cab", 1, timeout_seconds=0, on_timeout="reject"),), "steps[0].timeout_seconds"),
        ((step("cab", 1, on_timeout="approve"),), "steps[0].on_timeout"),
        ((step("cab", 1, on_timeout="skip"),), "steps[0].on_timeout"),
    ],
)
def test_invalid_definitions_name_the_field(steps: tuple[StepSpec, ...], field: str) -> None:
    with pytest.raises(InvalidDefinition) as refused:
        DefinitionSpec(steps=steps)
    assert refused.value.field == field
    assert refused.value.status_code == 422


def test_any_and_manager_steps_need_no_value() -> None:
    definition = define(
        step("anyone", 1, approver_type="any", approver_value=None),
        step("boss", 2, approver_type="manager", approver_value=None),
    )
    assert len(definition.steps) == 2


@pytest.mark.parametrize(
    ("error", "status_code"),
    [
        (NotPending, 409),
        (AlreadyDecided, 409),
        (StepNotCurrent, 409),
        (AlreadyStarted, 409),
        (NotEligible, 403),
        (CommentRequired, 422),
        (UnknownStep, 422),
        (InvalidDecision, 422),
    ],
)
def test_refusals_carry_their_http_status_and_problem_type(error: type[ApprovalError], status_code: int) -> None:
    refusal = error("because")
    assert (refusal.status_code, refusal.detail, str(refusal)) == (status_code, "because", "because")
    assert refusal.problem_type
    assert refusal.problem_type == refusal.problem_type.lower()
