"""The pure automation engine: the graph (`graph`), an execution's state, events and effects (`state`), the
rules that apply an event (`rules`) and the expression evaluation the shell does for it (`expressions`).

`from tenantplane.automation import engine` then `engine.apply(...)`, `engine.RunStep`: this face re-exports
`state` and `rules`, the one import path callers use.
"""

from tenantplane.automation.engine.rules import apply, new_execution
from tenantplane.automation.engine.state import (
    CONDITION_RESULT,
    FINISHED_EXECUTION_STATUSES,
    FINISHED_STEP_STATUSES,
    ApprovalDecided,
    ApprovalTimedOut,
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

__all__ = [
    "CONDITION_RESULT",
    "FINISHED_EXECUTION_STATUSES",
    "FINISHED_STEP_STATUSES",
    "ApprovalDecided",
    "ApprovalTimedOut",
    "Cancel",
    "CancelSteps",
    "Effect",
    "Event",
    "ExecutionFinished",
    "ExecutionState",
    "ExecutionStatus",
    "InvalidEvent",
    "OpenApprovalGate",
    "Outcome",
    "Retry",
    "RunStep",
    "ScheduleTimer",
    "Start",
    "StepEvent",
    "StepFinished",
    "StepRun",
    "StepStatus",
    "TimerFired",
    "Transition",
    "apply",
    "new_execution",
]
