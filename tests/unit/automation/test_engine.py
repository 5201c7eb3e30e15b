"""The automation execution engine, scenario by scenario as spec §6 and §10 describe them.

Each test drives `apply` with the events the shell would send and checks states and effects.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import cast

import pytest

from tenantplane.automation.engine import (
    ApprovalDecided,
    ApprovalTimedOut,
    Cancel,
    CancelSteps,
    Effect,
    Event,
    ExecutionFinished,
    ExecutionState,
    InvalidEvent,
    OpenApprovalGate,
    Retry,
    RunStep,
    ScheduleTimer,
    Start,
    StepFinished,
    TimerFired,
    apply,
    new_execution,
)
from tenantplane.automation.engine.graph import Edge, StepSpec, StepType, WorkflowGraph, build_graph


class Execution:
    """One execution driven event by event, remembering the latest state and effects."""

    def __init__(self, steps: Sequence[tuple[str, str]] | Sequence[StepSpec], edges: Sequence[Edge] = ()) -> None:
        specs = [step if isinstance(step, StepSpec) else StepSpec(step[0], cast(StepType, step[1])) for step in steps]
        self.graph: WorkflowGraph = build_graph(specs, edges)
        self.state: ExecutionState = new_execution(self.graph)

    def send(self, event: Event) -> tuple[Effect, ...]:
        transition = apply(self.graph, self.state, event)
        self.state = transition.state
        return transition.effects

    def succeed(self, step_id: str, **outputs: object) -> tuple[Effect, ...]:
        return self.send(StepFinished(step_id, "succeeded", outputs))

    def fail(self, step_id: str) -> tuple[Effect, ...]:
        return self.send(StepFinished(step_id, "failed", {"error": "exit 1"}))

    def decide(self, step_id: str, *, condition: bool) -> tuple[Effect, ...]:
        return self.send(StepFinished(step_id, "succeeded", {"result": condition}))

    @property
    def status(self) -> str:
        return self.state.status

    def step(self, step_id: str) -> str:
        return self.state.steps[step_id].status


def branching() -> Execution:
    """check → (true) yes → yes_more → join; check → (false) no → no_more → join."""
    steps: list[tuple[str, str]] = [
        ("check", "condition"),
        ("yes", "runbook"),
        ("yes_more", "runbook"),
        ("no", "runbook"),
        ("no_more", "notification"),
        ("join", "notification"),
    ]
    edges = [
        Edge("check", "yes", "true"),
        Edge("check", "no", "false"),
        Edge("yes", "yes_more"),
        Edge("no", "no_more"),
        Edge("yes_more", "join"),
        Edge("no_more", "join"),
    ]
    return Execution(steps, edges)


def test_steps_without_edges_run_one_after_another_in_list_order() -> None:
    run = Execution([("backup", "runbook"), ("wait", "delay"), ("tell", "notification")])

    assert run.status == "queued"
    assert run.send(Start()) == (RunStep("backup", 1),)
    assert run.status == "running"
    assert run.succeed("backup", path="/b/1") == (ScheduleTimer("wait", 1),)
    assert run.status == "waiting"
    assert run.send(TimerFired("wait")) == (RunStep("tell", 1),)
    assert run.succeed("tell") == (ExecutionFinished("succeeded"),)
    assert run.status == "succeeded"
    assert run.state.steps["backup"].outputs == {"path": "/b/1"}


def test_a_true_condition_takes_the_true_branch_and_skipping_propagates_down_the_false_branch() -> None:
    run = branching()
    run.send(Start())

    assert run.decide("check", condition=True) == (RunStep("yes", 1),)
    assert (run.step("no"), run.step("no_more")) == ("skipped", "skipped")
    assert run.succeed("yes") == (RunStep("yes_more", 1),)
    assert run.succeed("yes_more") == (RunStep("join", 1),)
    assert run.succeed("join") == (ExecutionFinished("succeeded"),)


def test_a_false_condition_takes_the_false_branch() -> None:
    run = branching()
    run.send(Start())

    assert run.decide("check", condition=False) == (RunStep("no", 1),)
    assert (run.step("yes"), run.step("yes_more")) == ("skipped", "skipped")
    assert run.state.steps["check"].outputs == {"result": False}


def test_a_join_after_a_skipped_branch_still_runs() -> None:
    run = branching()
    run.send(Start())
    run.decide("check", condition=False)
    run.succeed("no")

    assert run.succeed("no_more") == (RunStep("join", 1),)
    run.succeed("join")
    assert run.status == "succeeded"


def test_a_step_none_of_whose_incoming_edges_was_taken_is_skipped() -> None:
    run = Execution(
        [("deploy", "runbook"), ("page", "notification"), ("after_page", "runbook")],
        [Edge("deploy", "page", "failure"), Edge("page", "after_page")],
    )
    run.send(Start())

    assert run.succeed("deploy") == (ExecutionFinished("succeeded"),)
    assert (run.step("page"), run.step("after_page")) == ("skipped", "skipped")


def test_an_edge_without_condition_from_a_condition_step_is_taken_either_way() -> None:
    run = Execution(
        [("check", "condition"), ("yes", "runbook"), ("no", "runbook"), ("audit", "notification")],
        [Edge("check", "yes", "true"), Edge("check", "no", "false"), Edge("check", "audit")],
    )
    run.send(Start())

    assert run.decide("check", condition=False) == (RunStep("no", 1), RunStep("audit", 1))


def test_parallel_branches_both_run_and_the_join_waits_for_both() -> None:
    run = Execution(
        [("start", "runbook"), ("left", "runbook"), ("right", "approval"), ("join", "runbook")],
        [Edge("start", "left"), Edge("start", "right"), Edge("left", "join"), Edge("right", "join")],
    )
    run.send(Start())

    assert run.succeed("start") == (RunStep("left", 1), OpenApprovalGate("right", 1))
    assert run.succeed("left") == ()
    assert run.status == "waiting"
    assert run.send(ApprovalDecided("right", "approved")) == (RunStep("join", 1),)
    assert run.step("right") == "approved"


def failing_deploy(*, handled: bool) -> Execution:
    edges = [Edge("deploy", "verify"), Edge("deploy", "rollback", "failure")] if handled else [Edge("deploy", "verify")]
    steps: list[tuple[str, str]] = [("deploy", "runbook"), ("verify", "runbook")]
    steps += [("rollback", "runbook")] if handled else []
    return Execution(steps, edges)


def test_a_failure_edge_handles_a_failed_step() -> None:
    run = failing_deploy(handled=True)
    run.send(Start())

    assert run.fail("deploy") == (RunStep("rollback", 1),)
    assert run.step("verify") == "skipped"
    assert run.succeed("rollback") == (ExecutionFinished("succeeded"),)
    assert run.step("deploy") == "failed"


def test_an_always_edge_handles_a_failed_step() -> None:
    run = Execution([("deploy", "runbook"), ("report", "notification")], [Edge("deploy", "report", "always")])
    run.send(Start())

    assert run.fail("deploy") == (RunStep("report", 1),)


def test_an_unhandled_failure_fails_the_execution() -> None:
    run = failing_deploy(handled=False)
    run.send(Start())

    assert run.fail("deploy") == (ExecutionFinished("failed"),)
    assert run.status == "failed"
    assert run.step("verify") == "skipped"


def test_an_unhandled_failure_cancels_steps_still_in_flight_and_skips_the_rest() -> None:
    run = Execution(
        [("left", "runbook"), ("right", "approval"), ("timer", "delay"), ("after_right", "runbook")],
        [Edge("right", "after_right")],
    )
    run.send(Start())

    assert run.fail("left") == (CancelSteps(("right", "timer")), ExecutionFinished("failed"))
    assert [run.step(s) for s in ("left", "right", "timer", "after_right")] == [
        "failed",
        "cancelled",
        "cancelled",
        "skipped",
    ]


def gate(*, edges: Sequence[Edge] = (Edge("deploy", "tell"),), on_timeout: str | None = None) -> Execution:
    steps = [
        StepSpec("build", "runbook"),
        StepSpec("approve", "approval", on_timeout=on_timeout),  # type: ignore[arg-type]
        StepSpec("deploy", "runbook"),
        StepSpec("tell", "notification"),
    ]
    run = Execution(steps, [Edge("build", "approve"), Edge("approve", "deploy"), *edges])
    run.send(Start())
    run.succeed("build")
    return run


def test_a_rejected_approval_without_a_rejected_edge_rejects_the_execution() -> None:
    run = gate(edges=[Edge("deploy", "tell")])

    assert run.send(ApprovalDecided("approve", "rejected")) == (ExecutionFinished("rejected"),)
    assert run.status == "rejected"
    assert (run.step("approve"), run.step("deploy"), run.step("tell")) == ("rejected", "skipped", "skipped")


def test_a_rejected_edge_lets_the_execution_continue() -> None:
    run = gate(edges=[Edge("approve", "tell", "rejected")])

    assert run.send(ApprovalDecided("approve", "rejected")) == (RunStep("tell", 1),)
    assert run.succeed("tell") == (ExecutionFinished("succeeded"),)
    assert run.step("deploy") == "skipped"


def test_a_timed_out_gate_is_rejected_by_default() -> None:
    run = gate(edges=[Edge("approve", "tell", "rejected")])

    assert run.send(ApprovalTimedOut("approve")) == (RunStep("tell", 1),)
    assert run.step("approve") == "timed_out"


def test_a_timed_out_gate_without_a_handling_edge_rejects_the_execution() -> None:
    run = gate(on_timeout="reject")

    assert run.send(ApprovalTimedOut("approve")) == (ExecutionFinished("rejected"),)


def test_a_timeout_edge_takes_precedence_over_on_timeout_and_the_rejected_edge() -> None:
    run = gate(
        on_timeout="approve",
        edges=[Edge("approve", "tell", "timeout"), Edge("approve", "tell", "rejected")],
    )

    assert run.send(ApprovalTimedOut("approve")) == (RunStep("tell", 1),)
    assert run.step("deploy") == "skipped"
    assert run.state.edges == (True, False, True, False)


def test_a_timed_out_gate_with_on_timeout_approve_continues_as_approved() -> None:
    run = gate(on_timeout="approve", edges=[Edge("approve", "tell", "approved")])

    assert run.send(ApprovalTimedOut("approve")) == (RunStep("deploy", 1), RunStep("tell", 1))
    assert run.step("approve") == "timed_out"


def test_a_timed_out_gate_with_on_timeout_skip_goes_on_along_plain_edges_but_not_approved_ones() -> None:
    run = gate(on_timeout="skip", edges=[Edge("approve", "tell", "approved")])

    assert run.send(ApprovalTimedOut("approve")) == (RunStep("deploy", 1),)
    assert run.step("approve") == "timed_out"
    assert run.succeed("deploy") == (ExecutionFinished("succeeded"),)
    assert run.step("tell") == "skipped"


def test_a_gate_skipped_on_timeout_with_only_an_approved_edge_ends_the_execution_without_failing_it() -> None:
    run = Execution(
        [StepSpec("approve", "approval", on_timeout="skip"), StepSpec("deploy", "runbook")],
        [Edge("approve", "deploy", "approved")],
    )
    run.send(Start())

    assert run.send(ApprovalTimedOut("approve")) == (ExecutionFinished("succeeded"),)
    assert (run.step("approve"), run.step("deploy")) == ("timed_out", "skipped")


def test_cancel_stops_steps_in_flight_and_skips_the_rest() -> None:
    run = Execution([("a", "runbook"), ("b", "runbook")])
    run.send(Start())

    assert run.send(Cancel()) == (CancelSteps(("a",)), ExecutionFinished("cancelled"))
    assert (run.step("a"), run.step("b")) == ("cancelled", "skipped")
    assert run.succeed("a") == ()
    assert run.send(Cancel()) == ()
    assert run.send(Retry()) == ()


def test_cancel_before_start_finishes_without_running_anything() -> None:
    run = Execution([("a", "runbook")])

    assert run.send(Cancel()) == (ExecutionFinished("cancelled"),)
    assert run.send(Start()) == ()


def test_retry_reruns_from_the_failed_step_and_keeps_what_succeeded() -> None:
    run = Execution([("fetch", "runbook"), ("deploy", "runbook"), ("tell", "notification")])
    run.send(Start())
    run.succeed("fetch", artifact="v2")
    run.fail("deploy")

    assert run.send(Retry()) == (RunStep("deploy", 2),)
    assert run.status == "running"
    assert run.state.steps["fetch"].outputs == {"artifact": "v2"}
    assert run.state.steps["fetch"].attempt == 1
    assert (run.step("deploy"), run.step("tell")) == ("running", "pending")
    assert run.succeed("deploy") == (RunStep("tell", 1),)
    assert run.succeed("tell") == (ExecutionFinished("succeeded"),)


def test_retry_reruns_steps_cancelled_by_the_failure_but_not_handled_failures() -> None:
    run = Execution(
        [("flaky", "runbook"), ("cleanup", "runbook"), ("broken", "runbook"), ("slow", "runbook")],
        [Edge("flaky", "cleanup", "failure")],
    )
    run.send(Start())
    run.fail("flaky")
    run.succeed("cleanup")
    run.fail("broken")

    assert run.send(Retry()) == (RunStep("broken", 2), RunStep("slow", 2))
    assert (run.step("flaky"), run.step("cleanup")) == ("failed", "succeeded")


def test_retry_does_not_reopen_a_gate_that_timed_out_as_approved() -> None:
    run = gate(on_timeout="approve")
    run.send(ApprovalTimedOut("approve"))
    run.fail("deploy")

    assert run.send(Retry()) == (RunStep("deploy", 2),)
    assert run.step("approve") == "timed_out"


def test_retry_does_not_reopen_a_timed_out_gate_whose_timeout_edge_was_taken() -> None:
    run = gate(edges=[Edge("approve", "tell", "timeout")])
    run.send(ApprovalTimedOut("approve"))
    run.fail("tell")

    assert run.send(Retry()) == (RunStep("tell", 2),)


def test_retry_keeps_skips_decided_by_steps_that_succeeded() -> None:
    run = branching()
    run.send(Start())
    run.decide("check", condition=True)
    run.fail("yes")

    assert run.send(Retry()) == (RunStep("yes", 2),)
    assert (run.step("no"), run.step("no_more")) == ("skipped", "skipped")
    assert run.step("yes_more") == "pending"


def test_retry_opens_a_new_gate_and_ignores_decisions_for_the_old_one() -> None:
    run = gate()
    run.send(ApprovalDecided("approve", "rejected"))

    assert run.send(Retry()) == (OpenApprovalGate("approve", 2),)
    assert run.send(ApprovalDecided("approve", "approved", attempt=1)) == ()
    assert run.send(ApprovalDecided("approve", "approved", attempt=2)) == (RunStep("deploy", 1),)


def test_retry_of_a_running_or_succeeded_execution_is_a_no_op() -> None:
    run = Execution([("a", "runbook")])
    run.send(Start())

    assert run.send(Retry()) == ()
    run.succeed("a")
    assert run.send(Retry()) == ()


def test_a_redelivered_step_finished_is_a_no_op() -> None:
    run = Execution([("a", "runbook"), ("b", "runbook")])
    run.send(Start())
    run.succeed("a")
    before = run.state

    assert run.succeed("a") == ()
    assert run.fail("a") == ()
    assert run.state is before


def test_a_decision_for_a_gate_that_no_longer_waits_is_a_no_op() -> None:
    run = gate(edges=[Edge("approve", "tell", "rejected")])
    run.send(ApprovalDecided("approve", "approved"))

    assert run.send(ApprovalDecided("approve", "rejected")) == ()
    assert run.send(ApprovalTimedOut("approve")) == ()
    assert run.step("approve") == "approved"


def test_events_for_unknown_steps_or_the_wrong_step_type_are_no_ops() -> None:
    run = Execution([("wait", "delay"), ("approve", "approval")])
    run.send(Start())

    assert run.succeed("ghost") == ()
    assert run.send(ApprovalDecided("wait", "approved")) == ()
    assert run.send(TimerFired("approve")) == ()
    assert run.step("wait") == "waiting"


def test_a_step_event_before_start_is_a_no_op() -> None:
    run = Execution([("a", "runbook")])

    assert run.succeed("a") == ()
    assert run.status == "queued"


def test_a_delay_can_fail_when_its_time_cannot_be_computed() -> None:
    run = Execution([("wait", "delay"), ("next", "runbook")])
    run.send(Start())

    assert run.fail("wait") == (ExecutionFinished("failed"),)


def test_expression_edges_follow_the_results_the_shell_reports() -> None:
    run = Execution(
        [("probe", "runbook"), ("scale_up", "runbook"), ("scale_down", "runbook")],
        [Edge("probe", "scale_up", "steps.probe.outputs.load > 80"), Edge("probe", "scale_down", "load < 20")],
    )
    run.send(Start())

    assert run.graph.expression_edges("probe") == (0, 1)
    assert run.send(StepFinished("probe", "succeeded", {"load": 95}, {0: True, 1: False})) == (RunStep("scale_up", 1),)
    assert run.step("scale_down") == "skipped"


def test_expression_edges_are_not_taken_after_a_failure() -> None:
    run = Execution([("probe", "runbook"), ("next", "runbook")], [Edge("probe", "next", "true_or_not")])
    run.send(Start())

    assert run.fail("probe") == (ExecutionFinished("failed"),)


@pytest.mark.parametrize(
    ("steps", "event"),
    [
        ([("probe", "runbook"), ("next", "runbook")], StepFinished("probe", "succeeded", {}, {})),
        ([("check", "condition"), ("y", "runbook"), ("n", "runbook")], StepFinished("check", "succeeded", {})),
        ([("probe", "runbook"), ("next", "runbook")], StepFinished("probe", "done", {}, {0: True})),  # type: ignore[arg-type]
    ],
)
def test_events_that_break_the_contract_are_refused(steps: list[tuple[str, str]], event: Event) -> None:
    first, *rest = [step_id for step_id, _ in steps]
    if steps[0][1] == "condition":
        edges = [Edge(first, rest[0], "true"), Edge(first, rest[1], "false")]
    else:
        edges = [Edge(first, rest[0], "steps.probe.outputs.ok")]
    run = Execution(steps, edges)
    run.send(Start())

    with pytest.raises(InvalidEvent):
        run.send(event)


def test_apply_never_changes_the_state_it_was_given() -> None:
    run = Execution([("a", "runbook"), ("b", "runbook")])
    run.send(Start())
    before = run.state
    snapshot = before.to_dict()

    run.succeed("a", size=3)

    assert before.to_dict() == snapshot


def test_execution_state_round_trips_through_json() -> None:
    run = branching()
    run.send(Start())
    run.decide("check", condition=True)
    run.succeed("yes", items=[1, 2], note="ok")

    stored = json.loads(json.dumps(run.state.to_dict()))

    assert ExecutionState.from_dict(stored) == run.state
