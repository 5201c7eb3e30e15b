"""Properties of the automation engine over random workflow graphs and random finishing orders.

Steps get their outcomes up front; the order in which parallel steps finish is what varies.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from tenantplane.automation.engine import (
    FINISHED_EXECUTION_STATUSES,
    FINISHED_STEP_STATUSES,
    ApprovalDecided,
    ApprovalTimedOut,
    CancelSteps,
    Event,
    ExecutionFinished,
    ExecutionState,
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
from tenantplane.automation.engine.graph import (
    OUTCOME_WORDS_BY_STEP_TYPE,
    Edge,
    OnTimeout,
    StepSpec,
    StepType,
    WorkflowGraph,
    build_graph,
    validate_graph,
)

# What each step reports when it finishes; a bool is a condition step's result.
Outcome = str | bool
OUTCOMES_BY_TYPE: Mapping[str, list[Outcome]] = {
    "runbook": ["succeeded", "succeeded", "failed"],
    "notification": ["succeeded", "succeeded", "failed"],
    "condition": [True, False, "failed"],
    "approval": ["approved", "approved", "rejected", "timed_out"],
    "delay": ["fired", "fired", "failed"],
}
SUCCESS_OUTCOME: Mapping[str, Outcome] = {
    "runbook": "succeeded",
    "notification": "succeeded",
    "approval": "approved",
    "delay": "fired",
}
ON_TIMEOUT: list[OnTimeout | None] = [None, "reject", "approve", "skip"]
STEP_TYPES: list[StepType] = ["runbook", "approval", "condition", "notification", "delay"]


@dataclass(frozen=True)
class Scenario:
    graph: WorkflowGraph
    outcomes: Mapping[str, Outcome]
    expression_results: Mapping[int, bool]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    count = draw(st.integers(min_value=2, max_value=12))
    types = [draw(st.sampled_from(STEP_TYPES)) for _ in range(count - 1)]
    types.append(draw(st.sampled_from([t for t in STEP_TYPES if t != "condition"])))
    steps = [
        StepSpec(f"s{i}", kind, draw(st.sampled_from(ON_TIMEOUT)) if kind == "approval" else None)
        for i, kind in enumerate(types)
    ]
    edges: list[Edge] = []
    for target in range(1, count):
        for source in draw(st.lists(st.integers(0, target - 1), max_size=3, unique=True)):
            choices = [None, *sorted(OUTCOME_WORDS_BY_STEP_TYPE[types[source]]), "steps.x.outputs.ok"]
            edges.append(Edge(f"s{source}", f"s{target}", draw(st.sampled_from(choices))))
    for source, kind in enumerate(types):
        if kind == "condition":
            for word in ("true", "false"):
                edges.append(Edge(f"s{source}", f"s{draw(st.integers(source + 1, count - 1))}", word))
    assert validate_graph(steps, edges) == []
    graph = build_graph(steps, edges)
    outcomes = {step.id: draw(st.sampled_from(OUTCOMES_BY_TYPE[step.type])) for step in steps}
    results = {k: draw(st.booleans()) for k, edge in enumerate(graph.edges) if edge.is_expression}
    return Scenario(graph, outcomes, results)


@dataclass
class Run:
    """One execution driven to its end, with everything it emitted."""

    state: ExecutionState
    effects: list[object] = field(default_factory=list)
    started: Counter[tuple[str, int]] = field(default_factory=Counter)
    sent: list[Event] = field(default_factory=list)


def finishing_event(scenario: Scenario, step_id: str, attempt: int, outcome: Outcome) -> Event:
    results = {k: scenario.expression_results[k] for k in scenario.graph.expression_edges(step_id)}
    if isinstance(outcome, bool):
        return StepFinished(step_id, "succeeded", {"result": outcome}, results, attempt)
    if outcome == "succeeded":
        return StepFinished(step_id, "succeeded", {"by": step_id}, results, attempt)
    if outcome == "failed":
        return StepFinished(step_id, "failed", {"error": step_id}, results, attempt)
    if outcome in ("approved", "rejected"):
        return ApprovalDecided(step_id, outcome, results, attempt)  # type: ignore[arg-type]
    if outcome == "timed_out":
        return ApprovalTimedOut(step_id, results, attempt)
    return TimerFired(step_id, results, attempt)


def drive(scenario: Scenario, run: Run, first: Event, rng: random.Random, outcomes: Mapping[str, Outcome]) -> None:
    """Send `first`, then finish in-flight steps in a random order, redelivering old events on the way."""
    graph, sent = scenario.graph, run.sent
    in_flight: dict[str, int] = {}
    pending_event: Event | None = first
    while pending_event is not None:
        before = {step_id: step_run.status for step_id, step_run in run.state.steps.items()}
        transition = apply(graph, run.state, pending_event)
        run.state = transition.state
        for step_id, status in before.items():
            if status in FINISHED_STEP_STATUSES and not isinstance(pending_event, Retry):
                assert run.state.steps[step_id].status == status, "a finished step changed its status"
        for effect in transition.effects:
            run.effects.append(effect)
            if isinstance(effect, RunStep | OpenApprovalGate | ScheduleTimer):
                run.started[(effect.step_id, effect.attempt)] += 1
                in_flight[effect.step_id] = effect.attempt
            elif isinstance(effect, CancelSteps):
                assert set(effect.step_ids) == set(in_flight)
                in_flight.clear()
        if sent and rng.random() < 0.3:
            redelivered = apply(graph, run.state, rng.choice(sent))
            assert redelivered.effects == ()
            assert redelivered.state == run.state
        if not in_flight:
            break
        step_id = rng.choice(sorted(in_flight))
        pending_event = finishing_event(scenario, step_id, in_flight.pop(step_id), outcomes[step_id])
        sent.append(pending_event)


def execute(scenario: Scenario, rng: random.Random) -> Run:
    run = Run(new_execution(scenario.graph))
    drive(scenario, run, Start(), rng, scenario.outcomes)
    return run


def finished(run: Run) -> list[ExecutionFinished]:
    return [effect for effect in run.effects if isinstance(effect, ExecutionFinished)]


def unhandled_failures(graph: WorkflowGraph, state: ExecutionState) -> list[str]:
    """Failed steps with no outgoing edge taken; a gate that timed out as approved or skipped did not fail."""
    return [
        step.id
        for step in graph.steps
        if state.steps[step.id].status in ("failed", "rejected", "timed_out")
        and not any(state.edges[k] for k in graph.outgoing(step.id))
        and not (state.steps[step.id].status == "timed_out" and step.on_timeout in ("approve", "skip"))
    ]


@settings(max_examples=300, deadline=None)
@given(scenario=scenarios(), rng=st.randoms(use_true_random=False))
def test_every_execution_ends_once_with_every_step_finished_and_started_at_most_once(
    scenario: Scenario, rng: random.Random
) -> None:
    run = execute(scenario, rng)

    assert run.state.status in FINISHED_EXECUTION_STATUSES
    assert all(step_run.status in FINISHED_STEP_STATUSES for step_run in run.state.steps.values())
    assert finished(run) == [ExecutionFinished(run.state.status)]
    assert run.effects[-1] == ExecutionFinished(run.state.status)
    assert set(run.started.values()) <= {1}
    assert all(attempt == 1 for _, attempt in run.started)
    for step_id, step_run in run.state.steps.items():
        assert (step_run.status == "skipped") == ((step_id, 1) not in run.started)


@settings(max_examples=300, deadline=None)
@given(scenario=scenarios(), rng=st.randoms(use_true_random=False))
def test_an_execution_fails_exactly_when_a_failure_is_not_handled(scenario: Scenario, rng: random.Random) -> None:
    run = execute(scenario, rng)

    failures = unhandled_failures(scenario.graph, run.state)
    cancelled = [step_id for step_id, step_run in run.state.steps.items() if step_run.status == "cancelled"]
    assert (run.state.status == "succeeded") == (not failures)
    assert len(failures) <= 1
    if run.state.status == "succeeded":
        assert not cancelled


@settings(max_examples=300, deadline=None)
@given(
    scenario=scenarios(),
    first=st.randoms(use_true_random=False),
    second=st.randoms(use_true_random=False),
)
def test_the_result_does_not_depend_on_the_order_parallel_steps_finish(
    scenario: Scenario, first: random.Random, second: random.Random
) -> None:
    one, two = execute(scenario, first), execute(scenario, second)

    if "succeeded" in (one.state.status, two.state.status):
        assert one.state == two.state
    else:
        # Fail fast: which in-flight step is cancelled depends on which failure came first.
        assert {one.state.status, two.state.status} <= {"failed", "rejected"}


@settings(max_examples=300, deadline=None)
@given(scenario=scenarios(), rng=st.randoms(use_true_random=False))
def test_retry_reruns_only_what_did_not_finish_well_and_then_succeeds(scenario: Scenario, rng: random.Random) -> None:
    run = execute(scenario, rng)
    if run.state.status not in ("failed", "rejected"):
        return
    rerun = unhandled_failures(scenario.graph, run.state)
    kept = {
        step_id: step_run
        for step_id, step_run in run.state.steps.items()
        if step_run.status not in ("skipped", "cancelled") and step_id not in rerun
    }
    first_attempt = {step_id: step_run.attempt for step_id, step_run in run.state.steps.items()}
    second_outcomes = {
        step.id: SUCCESS_OUTCOME.get(step.type, scenario.outcomes[step.id] is True) for step in scenario.graph.steps
    }
    retried = Run(run.state, sent=list(run.sent))

    drive(scenario, retried, Retry(), rng, second_outcomes)

    assert retried.state.status == "succeeded"
    assert finished(retried) == [ExecutionFinished("succeeded")]
    assert all(retried.state.steps[step_id] == step_run for step_id, step_run in kept.items())
    assert all(step_id not in kept for step_id, _ in retried.started)
    assert all(attempt == first_attempt[step_id] + 1 for step_id, attempt in retried.started)
    assert set(retried.started.values()) <= {1}
