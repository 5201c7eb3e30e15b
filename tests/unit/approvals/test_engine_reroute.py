"""RerouteStep: an open step whose only approver left goes to the fallback approvers, and says so."""

from __future__ import annotations

from datetime import UTC, datetime

from tenantplane.approvals import engine
from tenantplane.approvals.engine import (
    DefinitionSpec,
    FlagEmptyApproverSet,
    NotifyApprovers,
    RefreshApprovers,
    RerouteStep,
    StepSpec,
)

NOW = datetime(2026, 1, 5, 10, tzinfo=UTC)
LADDER = DefinitionSpec(
    steps=(
        StepSpec(name="manager", order=1, approver_type="manager"),
        StepSpec(name="cab", order=2, approver_type="role", approver_value="cab"),
    )
)


def _stuck() -> engine.InstanceState:
    started = engine.start_instance(
        LADDER, requester_id="req", approvers={"manager": frozenset({"boss"}), "cab": frozenset({"c1"})}, now=NOW
    )
    refreshed = engine.apply(
        LADDER, started.state, RefreshApprovers(now=NOW, approvers={"manager": frozenset(), "cab": frozenset({"c1"})})
    )
    assert any(isinstance(e, FlagEmptyApproverSet) for e in refreshed.effects)
    return refreshed.state


def test_a_rerouted_step_goes_to_the_fallback_approvers_and_records_why() -> None:
    event = RerouteStep(step_name="manager", to=frozenset({"desk", "req"}), reason="boss left", now=NOW)
    moved = engine.apply(LADDER, _stuck(), event)
    step = moved.state.step("manager")
    assert step.eligible_ids == frozenset({"desk"}), "four-eyes still keeps the requester out"
    assert (step.rerouted, step.flagged, step.status) == ("boss left", False, "pending")
    assert NotifyApprovers("manager", frozenset({"desk"})) in moved.effects
    assert engine.from_dict(engine.to_dict(moved.state)) == moved.state
    assert engine.step_results(moved.state)[0]["rerouted"] == "boss left"


def test_a_reroute_to_nobody_stays_flagged() -> None:
    moved = engine.apply(LADDER, _stuck(), RerouteStep(step_name="manager", to=frozenset(), reason="x", now=NOW))
    assert moved.state.step("manager").flagged
    assert not any(isinstance(e, NotifyApprovers) for e in moved.effects)


def test_a_step_no_longer_open_is_left_alone() -> None:
    moved = engine.apply(LADDER, _stuck(), RerouteStep(step_name="cab", to=frozenset({"desk"}), reason="x", now=NOW))
    assert moved.state == _stuck()
    assert moved.effects == ()
