"""The automation engine's vocabulary: an execution's state, the events it accepts and the effects it asks for.

Pure data (frozen dataclasses); `rules.apply` is the one function that turns a state and an event into a transition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

StepStatus = Literal[
    "pending", "running", "waiting", "succeeded", "failed", "skipped", "approved", "rejected", "timed_out",
    "cancelled",
]  # fmt: skip
ExecutionStatus = Literal["queued", "running", "waiting", "succeeded", "failed", "rejected", "cancelled"]
# How a finished step came out; it decides which outgoing edges are taken. `skipped` is a gate whose timeout
# passed it over (`on_timeout: skip`): the workflow goes on along its plain edges, not its `approved` ones.
Outcome = Literal["succeeded", "failed", "true", "false", "approved", "rejected", "timeout", "skipped"]

CONDITION_RESULT = "result"
FINISHED_STEP_STATUSES: frozenset[str] = frozenset(
    {"succeeded", "failed", "skipped", "approved", "rejected", "timed_out", "cancelled"}
)
FINISHED_EXECUTION_STATUSES: frozenset[str] = frozenset({"succeeded", "failed", "rejected", "cancelled"})


class InvalidEvent(ValueError):
    """The shell broke the event contract; this is a bug to fix, not a state to record."""


@dataclass(frozen=True)
class StepRun:
    status: StepStatus = "pending"
    attempt: int = 0
    outputs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExecutionState:
    status: ExecutionStatus
    steps: Mapping[str, StepRun]
    # One entry per graph edge: None while undecided, then whether it was taken.
    edges: tuple[bool | None, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "steps": {
                step_id: {"status": run.status, "attempt": run.attempt, "outputs": dict(run.outputs)}
                for step_id, run in self.steps.items()
            },
            "edges": list(self.edges),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExecutionState:
        steps = {
            str(step_id): StepRun(
                status=cast(StepStatus, run["status"]),
                attempt=int(run["attempt"]),
                outputs=dict(run["outputs"]),
            )
            for step_id, run in data["steps"].items()
        }
        edges = tuple(None if taken is None else bool(taken) for taken in data["edges"])
        return cls(status=cast(ExecutionStatus, data["status"]), steps=steps, edges=edges)


@dataclass(frozen=True)
class Start:
    pass


@dataclass(frozen=True)
class StepFinished:
    """A runbook, condition or notification step ended (or a delay failed); `attempt` None means current."""

    step_id: str
    status: Literal["succeeded", "failed"]
    outputs: Mapping[str, Any] = field(default_factory=dict)
    edge_results: Mapping[int, bool] = field(default_factory=dict)
    attempt: int | None = None


@dataclass(frozen=True)
class ApprovalDecided:
    step_id: str
    outcome: Literal["approved", "rejected"]
    edge_results: Mapping[int, bool] = field(default_factory=dict)
    attempt: int | None = None


@dataclass(frozen=True)
class ApprovalTimedOut:
    step_id: str
    edge_results: Mapping[int, bool] = field(default_factory=dict)
    attempt: int | None = None


@dataclass(frozen=True)
class TimerFired:
    step_id: str
    edge_results: Mapping[int, bool] = field(default_factory=dict)
    attempt: int | None = None


@dataclass(frozen=True)
class Cancel:
    pass


@dataclass(frozen=True)
class Retry:
    pass


StepEvent = StepFinished | ApprovalDecided | ApprovalTimedOut | TimerFired
Event = Start | StepFinished | ApprovalDecided | ApprovalTimedOut | TimerFired | Cancel | Retry


@dataclass(frozen=True)
class RunStep:
    """Run a runbook, evaluate a condition or send a notification, by the step's type."""

    step_id: str
    attempt: int


@dataclass(frozen=True)
class OpenApprovalGate:
    step_id: str
    attempt: int


@dataclass(frozen=True)
class ScheduleTimer:
    step_id: str
    attempt: int


@dataclass(frozen=True)
class CancelSteps:
    step_ids: tuple[str, ...]


@dataclass(frozen=True)
class ExecutionFinished:
    status: ExecutionStatus


Effect = RunStep | OpenApprovalGate | ScheduleTimer | CancelSteps | ExecutionFinished


@dataclass(frozen=True)
class Transition:
    state: ExecutionState
    effects: tuple[Effect, ...]
