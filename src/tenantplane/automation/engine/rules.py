"""The automation execution engine: an execution's state and one event in, the new state and effects out.

Pure: no I/O and no clock; the execution job runner (the shell) stores the state and performs the effects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, NamedTuple

from tenantplane.automation.engine.graph import Edge, StepSpec, WorkflowGraph
from tenantplane.automation.engine.state import (
    CONDITION_RESULT,
    FINISHED_EXECUTION_STATUSES,
    FINISHED_STEP_STATUSES,
    ApprovalDecided,
    Cancel,
    CancelSteps,
    Effect,
    Event,
    ExecutionFinished,
    ExecutionState,
    ExecutionStatus,
    InvalidEvent,
    OpenApprovalGate,
    Outcome,
    Retry,
    RunStep,
    ScheduleTimer,
    Start,
    StepEvent,
    StepFinished,
    StepRun,
    StepStatus,
    TimerFired,
    Transition,
)

_SUCCESS_OUTCOMES = frozenset({"succeeded", "true", "false", "approved", "skipped"})
_TAKEN_BY_WORD: Mapping[str, frozenset[str]] = {
    "success": _SUCCESS_OUTCOMES,
    "failure": frozenset({"failed"}),
    "always": frozenset({"succeeded", "failed", "true", "false", "approved", "rejected", "timeout", "skipped"}),
    "true": frozenset({"true"}),
    "false": frozenset({"false"}),
    "approved": frozenset({"approved"}),
    "rejected": frozenset({"rejected"}),
    "timeout": frozenset({"timeout"}),
}

_STATUS_BY_OUTCOME: Mapping[str, StepStatus] = {
    "succeeded": "succeeded",
    "true": "succeeded",
    "false": "succeeded",
    "failed": "failed",
    "approved": "approved",
    "rejected": "rejected",
    "timeout": "timed_out",
}


def new_execution(graph: WorkflowGraph) -> ExecutionState:
    return ExecutionState(
        status="queued", steps={step.id: StepRun() for step in graph.steps}, edges=(None,) * len(graph.edges)
    )


def apply(graph: WorkflowGraph, state: ExecutionState, event: Event) -> Transition:
    """The one function every change of an execution goes through.

    Contract with the shell:
    - The shell evaluates expressions. When a step succeeds (a runbook, notification or delay succeeded, an
      approval resolved as approved, a condition step finished either way) the finishing event carries
      `edge_results` for `graph.expression_edges(step_id)`; an expression edge is taken when the source
      succeeded and its result is true, and is never taken after a failure.
    - A condition step reports `StepFinished(status="succeeded", outputs={"result": <bool>})`; it fails
      only when its expression could not be evaluated.
    - An event for a step that is not in the status it expects (finished twice, a decision for a gate that
      no longer waits, an older attempt) changes nothing, because durable jobs can be delivered twice.
      After the execution finished every event is a no-op, except `Retry` of a failed or rejected one.
    - A contract violation (a condition result that is not a bool, a missing expression result, a
      finishing status other than succeeded/failed) raises `InvalidEvent`.
    """
    unchanged = Transition(state, ())
    if isinstance(event, Retry):
        return _retry(graph, state) if state.status in ("failed", "rejected") else unchanged
    if state.status in FINISHED_EXECUTION_STATUSES:
        return unchanged
    draft = _Draft(state)
    if isinstance(event, Start):
        if state.status != "queued":
            return unchanged
        draft.status = "running"
    elif isinstance(event, Cancel):
        draft.finish("cancelled")
        return draft.transition()
    else:
        finished = _finished_step(graph, state, event)
        if finished is None:
            return unchanged
        _record_outcome(graph, draft, finished, event.edge_results)
    _advance(graph, draft)
    return draft.transition()


class _Draft:
    """A working copy of one transition; `apply` never changes the state it was given."""

    def __init__(self, state: ExecutionState) -> None:
        self.status: ExecutionStatus = state.status
        self.steps: dict[str, StepRun] = dict(state.steps)
        self.edges: list[bool | None] = list(state.edges)
        self.effects: list[Effect] = []
        self.failure: ExecutionStatus | None = None

    def finish(self, status: ExecutionStatus) -> None:
        """End the execution: steps in flight are cancelled, steps never started are skipped."""
        in_flight = [step_id for step_id, run in self.steps.items() if run.status in ("running", "waiting")]
        for step_id, run in self.steps.items():
            if run.status in ("running", "waiting"):
                self.steps[step_id] = replace(run, status="cancelled")
            elif run.status == "pending":
                self.steps[step_id] = replace(run, status="skipped")
        if in_flight:
            self.effects.append(CancelSteps(tuple(in_flight)))
        self.status = status
        self.effects.append(ExecutionFinished(status))

    def transition(self) -> Transition:
        state = ExecutionState(status=self.status, steps=self.steps, edges=tuple(self.edges))
        return Transition(state, tuple(self.effects))


class _Finish(NamedTuple):
    step: StepSpec
    status: StepStatus
    outcome: Outcome
    outputs: Mapping[str, Any]


def _finished_step(graph: WorkflowGraph, state: ExecutionState, event: StepEvent) -> _Finish | None:
    """The step the event finishes and how it came out, or None when the event does not apply now."""
    if not graph.has_step(event.step_id):
        return None
    step, run = graph.step(event.step_id), state.steps[event.step_id]
    if event.attempt is not None and event.attempt != run.attempt:
        return None
    if isinstance(event, StepFinished):
        # A gate finishes this way only by failing: nobody could ever decide it (it is not a decision).
        expected = "waiting" if step.type in ("delay", "approval") else "running"
        if (step.type == "approval" and event.status != "failed") or run.status != expected:
            return None
        outcome = _reported_outcome(step, event)
        return _Finish(step, _STATUS_BY_OUTCOME[outcome], outcome, event.outputs)
    if isinstance(event, TimerFired):
        delay_waiting = step.type == "delay" and run.status == "waiting"
        return _Finish(step, "succeeded", "succeeded", {}) if delay_waiting else None
    if step.type != "approval" or run.status != "waiting":
        return None
    if isinstance(event, ApprovalDecided):
        return _Finish(step, _STATUS_BY_OUTCOME[event.outcome], event.outcome, {})
    return _Finish(step, "timed_out", _timeout_outcome(graph, step), {})


def _reported_outcome(step: StepSpec, event: StepFinished) -> Outcome:
    if event.status == "failed":
        return "failed"
    if event.status != "succeeded":
        raise InvalidEvent(f"step '{step.id}' finished with unknown status '{event.status}'")
    if step.type != "condition":
        return "succeeded"
    result = event.outputs.get(CONDITION_RESULT)
    if not isinstance(result, bool):
        raise InvalidEvent(f"condition step '{step.id}' reported no boolean outputs.{CONDITION_RESULT}")
    return "true" if result else "false"


def _timeout_outcome(graph: WorkflowGraph, step: StepSpec) -> Outcome:
    """An explicit `timeout` edge wins; otherwise the gate's `on_timeout` (reject by default) decides."""
    if any(graph.edges[k].condition == "timeout" for k in graph.outgoing(step.id)):
        return "timeout"
    if step.on_timeout == "approve":
        return "approved"
    return "skipped" if step.on_timeout == "skip" else "rejected"


def _record_outcome(graph: WorkflowGraph, draft: _Draft, finish: _Finish, edge_results: Mapping[int, bool]) -> None:
    step = finish.step
    draft.steps[step.id] = replace(draft.steps[step.id], status=finish.status, outputs=dict(finish.outputs))
    taken_any = False
    for k in graph.outgoing(step.id):
        taken = _edge_taken(graph.edges[k], k, finish.outcome, edge_results)
        draft.edges[k] = taken
        taken_any = taken_any or taken
    if finish.outcome not in _SUCCESS_OUTCOMES and not taken_any:
        draft.failure = "rejected" if step.type == "approval" and finish.outcome != "failed" else "failed"


def _edge_taken(edge: Edge, index: int, outcome: Outcome, edge_results: Mapping[int, bool]) -> bool:
    if edge.condition is None:
        # "The source succeeded": a condition step succeeds whichever way it decided.
        return outcome in _SUCCESS_OUTCOMES
    if not edge.is_expression:
        return outcome in _TAKEN_BY_WORD[edge.condition]
    if outcome not in _SUCCESS_OUTCOMES:
        return False
    if index not in edge_results:
        raise InvalidEvent(f"no result for the expression on edge {index} from '{edge.source}'")
    return bool(edge_results[index])


def _advance(graph: WorkflowGraph, draft: _Draft) -> None:
    """Start every step whose incoming edges are decided with one taken, skip the rest, then settle status."""
    if draft.failure is not None:
        draft.finish(draft.failure)
        return
    for step_id in graph.order:
        run = draft.steps[step_id]
        if run.status != "pending":
            continue
        decisions = [draft.edges[k] for k in graph.incoming(step_id)]
        if not decisions or (None not in decisions and any(decisions)):
            _start(graph.step(step_id), draft)
        elif None not in decisions:
            draft.steps[step_id] = replace(run, status="skipped")
            for k in graph.outgoing(step_id):
                draft.edges[k] = False
    statuses = {run.status for run in draft.steps.values()}
    if statuses <= FINISHED_STEP_STATUSES:
        draft.status = "succeeded"
        draft.effects.append(ExecutionFinished("succeeded"))
    else:
        draft.status = "running" if "running" in statuses or "waiting" not in statuses else "waiting"


def _start(step: StepSpec, draft: _Draft) -> None:
    run = draft.steps[step.id]
    attempt = run.attempt + 1
    effect: Effect
    if step.type == "approval":
        status: StepStatus = "waiting"
        effect = OpenApprovalGate(step.id, attempt)
    elif step.type == "delay":
        status = "waiting"
        effect = ScheduleTimer(step.id, attempt)
    else:
        status = "running"
        effect = RunStep(step.id, attempt)
    draft.steps[step.id] = StepRun(status=status, attempt=attempt, outputs={})
    draft.effects.append(effect)


def _retry(graph: WorkflowGraph, state: ExecutionState) -> Transition:
    """Re-run from the steps that ended the execution: unhandled failures and the steps the end cancelled.

    They and everything downstream of them (which never started) go back to pending; every other step
    keeps its status, outputs and the edges it decided, so skips decided by succeeded steps stay.
    """
    failed_steps = [step_id for step_id in graph.order if _ended_the_execution(graph, state, step_id)]
    rerun = graph.downstream(failed_steps)
    draft = _Draft(state)
    for step_id in rerun:
        draft.steps[step_id] = StepRun(status="pending", attempt=state.steps[step_id].attempt)
        for k in graph.outgoing(step_id):
            draft.edges[k] = None
    draft.status = "running"
    _advance(graph, draft)
    return draft.transition()


def _ended_the_execution(graph: WorkflowGraph, state: ExecutionState, step_id: str) -> bool:
    """Cancelled when the execution ended, or failed with no outgoing edge taken to handle it."""
    status = state.steps[step_id].status
    if status == "timed_out" and _timeout_outcome(graph, graph.step(step_id)) in ("approved", "skipped"):
        return False
    if status in ("failed", "rejected", "timed_out"):
        return not any(state.edges[k] for k in graph.outgoing(step_id))
    return status == "cancelled"
