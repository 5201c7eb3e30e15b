"""Value types of the ITSM approval workflow engine: definition specs, instance state, events, effects.

Immutable dataclasses, typed refusals and the stored JSON form; the rules themselves live in engine.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal, TypeAlias, get_args

ApproverType = Literal["user", "group", "role", "any", "manager"]
TimeoutOutcome = Literal["reject", "skip", "escalate"]
InstanceStatus = Literal["pending", "approved", "rejected", "cancelled"]
StepStatus = Literal["pending", "approved", "rejected", "skipped"]
Outcome = Literal["approved", "rejected"]
ApproverSets: TypeAlias = Mapping[str, frozenset[str]]
"""Step name → ids of the users the shell resolved as that step's approvers (user/group/role/any/manager)."""

APPROVER_TYPES: frozenset[str] = frozenset(get_args(ApproverType))
TIMEOUT_OUTCOMES: frozenset[str] = frozenset(get_args(TimeoutOutcome))
OUTCOMES: frozenset[str] = frozenset(get_args(Outcome))


# --- refusals ------------------------------------------------------------------------------------------


class ApprovalError(Exception):
    """A refusal by the engine; it carries its HTTP status and problem type so the shell maps it as is."""

    status_code: ClassVar[int] = 400
    problem_type: ClassVar[str] = "approval-error"
    title: ClassVar[str] = "Approval refused"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidDefinition(ApprovalError):
    status_code = 422
    problem_type = "invalid-approval-definition"
    title = "Invalid approval definition"

    def __init__(self, field_path: str, message: str) -> None:
        super().__init__(f"{field_path}: {message}")
        self.field = field_path
        self.message = message


class InvalidDecision(ApprovalError):
    status_code = 422
    problem_type = "invalid-decision"
    title = "Invalid decision"


class CommentRequired(ApprovalError):
    status_code = 422
    problem_type = "comment-required"
    title = "A rejection needs a comment"


class UnknownStep(ApprovalError):
    status_code = 422
    problem_type = "unknown-step"
    title = "No such step"


class NotEligible(ApprovalError):
    status_code = 403
    problem_type = "not-eligible-approver"
    title = "Not an eligible approver"


class FourEyesRefused(NotEligible):
    """The requester, or the person the request is for, tried to decide it (and the definition forbids that)."""

    problem_type = "four-eyes"
    title = "Refused by the four-eyes rule"


class NotPending(ApprovalError):
    status_code = 409
    problem_type = "instance-not-pending"
    title = "Approval instance is not pending"


class AlreadyStarted(ApprovalError):
    status_code = 409
    problem_type = "instance-already-started"
    title = "Approval instance already started"


class StepNotCurrent(ApprovalError):
    status_code = 409
    problem_type = "step-not-current"
    title = "Step is not awaiting decisions"


class AlreadyDecided(ApprovalError):
    status_code = 409
    problem_type = "already-decided"
    title = "Already decided"


class ApproversNotResolved(ApprovalError):
    """The shell did not pass an approver set for a step whose order became current: a shell bug."""

    status_code = 500
    problem_type = "approvers-not-resolved"
    title = "Approvers were not resolved"


# --- definition ----------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class StepSpec:
    """One approval step of a definition version, as the engine needs it."""

    name: str
    order: int
    approver_type: ApproverType
    approver_value: str | None = None
    required: bool = True
    min_approvals: int = 1
    timeout_seconds: int | None = None
    on_timeout: TimeoutOutcome | None = None
    remind_after_seconds: int | None = None


@dataclass(frozen=True, kw_only=True)
class DefinitionSpec:
    """The steps of one definition version; building it validates them (InvalidDefinition names the field)."""

    steps: tuple[StepSpec, ...]
    allow_self_approval: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.steps))
        if not self.steps:
            raise InvalidDefinition("steps", "a definition needs at least one step")
        seen: set[str] = set()
        for index, step in enumerate(self.steps):
            _check_step(f"steps[{index}]", step)
            if step.name in seen:
                raise InvalidDefinition(f"steps[{index}].name", f"duplicate step name {step.name!r}")
            seen.add(step.name)

    def step(self, name: str) -> StepSpec:
        for step in self.steps:
            if step.name == name:
                return step
        raise UnknownStep(f"the definition has no step named {name!r}")


def _positive(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _check_step(path: str, step: StepSpec) -> None:
    if not step.name.strip():
        raise InvalidDefinition(f"{path}.name", "a step needs a name")
    if not _positive(step.order):
        raise InvalidDefinition(f"{path}.order", "order must be a positive integer")
    if step.approver_type not in APPROVER_TYPES:
        raise InvalidDefinition(f"{path}.approver_type", f"must be one of {sorted(APPROVER_TYPES)}")
    if step.approver_type in ("user", "group", "role") and not (step.approver_value or "").strip():
        raise InvalidDefinition(f"{path}.approver_value", f"needed for approver_type {step.approver_type!r}")
    if not _positive(step.min_approvals):
        raise InvalidDefinition(f"{path}.min_approvals", "must be at least 1")
    for name in ("timeout_seconds", "remind_after_seconds"):
        value = getattr(step, name)
        if value is not None and not _positive(value):
            raise InvalidDefinition(f"{path}.{name}", "must be a positive number of seconds")
    if step.on_timeout is not None and step.on_timeout not in TIMEOUT_OUTCOMES:
        raise InvalidDefinition(f"{path}.on_timeout", f"must be one of {sorted(TIMEOUT_OUTCOMES)}")
    if step.required and step.on_timeout == "skip":
        # Skipping a required step on timeout would approve the request without its sign-off.
        raise InvalidDefinition(
            f"{path}.on_timeout",
            "a required step cannot be skipped; use reject or escalate",
        )


# --- instance state ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Decision:
    """Who decided a step, which way, why and when; on_behalf_of: the approver a delegate stood in for."""

    user_id: str
    outcome: Outcome
    at: datetime
    comment: str | None = None
    on_behalf_of: str | None = None

    @property
    def principal_id(self) -> str:
        """The approver this decision counts for (the delegator when a delegate decided)."""
        return self.on_behalf_of or self.user_id


@dataclass(frozen=True, kw_only=True)
class StepState:
    """Progress of one step; eligible_ids stays None until the step's order becomes current."""

    name: str
    order: int
    status: StepStatus = "pending"
    eligible_ids: frozenset[str] | None = None
    decisions: tuple[Decision, ...] = ()
    reason: str | None = None
    flagged: bool = False
    escalated: bool = False
    opened_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class InstanceState:
    """One running (or finished) approval instance; current_step is the order awaiting decisions.

    requested_for_id: the person the request is for, when that is not the requester (else None).
    """

    requester_id: str
    requested_for_id: str | None = None
    status: InstanceStatus = "pending"
    current_step: int | None = None
    steps: tuple[StepState, ...] = ()
    finished_at: datetime | None = None

    def step(self, name: str) -> StepState:
        for step in self.steps:
            if step.name == name:
                return step
        raise UnknownStep(f"the instance has no step named {name!r}")

    def open_steps(self) -> tuple[StepState, ...]:
        """Steps of the current order that still await decisions."""
        return tuple(s for s in self.steps if s.order == self.current_step and s.status == "pending")


# --- events (what happened) ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Start:
    now: datetime
    approvers: ApproverSets = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Decide:
    """An approve or reject; delegators are the users the actor is an active delegate for right now."""

    actor_id: str
    outcome: Outcome
    now: datetime
    comment: str | None = None
    step_name: str | None = None
    delegators: frozenset[str] = frozenset()
    approvers: ApproverSets = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise InvalidDecision(f"outcome must be one of {sorted(OUTCOMES)}, not {self.outcome!r}")


@dataclass(frozen=True, kw_only=True)
class StepTimedOut:
    step_name: str
    now: datetime
    approvers: ApproverSets = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ReminderDue:
    step_name: str
    now: datetime


@dataclass(frozen=True, kw_only=True)
class RefreshApprovers:
    """Re-resolve the open steps (after an admin fixed a group, a manager or a role)."""

    now: datetime
    approvers: ApproverSets = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Cancel:
    """Withdraw the request; who may cancel (requester or admin) is the shell's check, not the engine's."""

    actor_id: str
    now: datetime


Event: TypeAlias = Start | Decide | StepTimedOut | ReminderDue | RefreshApprovers | Cancel


# --- effects (what the shell must now do) --------------------------------------------------------------


@dataclass(frozen=True)
class NotifyApprovers:
    step_name: str
    user_ids: frozenset[str]


@dataclass(frozen=True)
class RemindApprovers:
    step_name: str
    user_ids: frozenset[str]


@dataclass(frozen=True)
class ScheduleTimeout:
    step_name: str
    due_seconds: int


@dataclass(frozen=True)
class ScheduleReminder:
    step_name: str
    due_seconds: int


@dataclass(frozen=True)
class FlagEmptyApproverSet:
    """A required step nobody can approve (empty set or unreachable quorum): tell the tenant admins."""

    step_name: str
    reason: str


@dataclass(frozen=True)
class EscalateStep:
    """A step's timeout asked for escalation: tell the tenant admins; the step stays pending."""

    step_name: str
    reason: str


@dataclass(frozen=True)
class Finished:
    status: InstanceStatus


@dataclass(frozen=True)
class NotifyRequester:
    status: InstanceStatus


Effect: TypeAlias = (
    NotifyApprovers
    | RemindApprovers
    | ScheduleTimeout
    | ScheduleReminder
    | FlagEmptyApproverSet
    | EscalateStep
    | Finished
    | NotifyRequester
)


@dataclass(frozen=True)
class Transition:
    state: InstanceState
    effects: tuple[Effect, ...] = ()


# --- stored form (JSONB) and the API's step_results ----------------------------------------------------

STATE_SCHEMA = 1


def to_dict(state: InstanceState) -> dict[str, Any]:
    """JSON-safe form of an instance for a JSONB column: sets as sorted lists, datetimes as ISO strings."""
    return {
        "schema": STATE_SCHEMA,
        "requester_id": state.requester_id,
        "requested_for_id": state.requested_for_id,
        "status": state.status,
        "current_step": state.current_step,
        "finished_at": _iso(state.finished_at),
        "steps": [_step_to_dict(step) for step in state.steps],
    }


def from_dict(data: Mapping[str, Any]) -> InstanceState:
    """Inverse of to_dict."""
    if data.get("schema") != STATE_SCHEMA:
        raise ValueError(f"unsupported approval state schema {data.get('schema')!r}")
    return InstanceState(
        requester_id=data["requester_id"],
        # Absent from states stored before requests could be for someone else: nobody besides the requester.
        requested_for_id=data.get("requested_for_id"),
        status=data["status"],
        current_step=data["current_step"],
        finished_at=_parse(data["finished_at"]),
        steps=tuple(_step_from_dict(step) for step in data["steps"]),
    )


def step_results(state: InstanceState) -> list[dict[str, Any]]:
    """The API's step_results: one entry per step, in definition order, with every decision."""
    return [
        {
            "order": step.order,
            "name": step.name,
            "status": step.status,
            "decisions": [_decision_to_dict(d) for d in step.decisions],
            "reason": step.reason,
        }
        for step in state.steps
    ]


def _step_to_dict(step: StepState) -> dict[str, Any]:
    eligible = None if step.eligible_ids is None else sorted(step.eligible_ids)
    return {
        "name": step.name,
        "order": step.order,
        "status": step.status,
        "eligible_ids": eligible,
        "decisions": [_decision_to_dict(d) for d in step.decisions],
        "reason": step.reason,
        "flagged": step.flagged,
        "escalated": step.escalated,
        "opened_at": _iso(step.opened_at),
    }


def _step_from_dict(data: Mapping[str, Any]) -> StepState:
    eligible = data["eligible_ids"]
    return StepState(
        name=data["name"],
        order=data["order"],
        status=data["status"],
        eligible_ids=None if eligible is None else frozenset(eligible),
        decisions=tuple(_decision_from_dict(d) for d in data["decisions"]),
        reason=data["reason"],
        flagged=data["flagged"],
        escalated=data["escalated"],
        opened_at=_parse(data["opened_at"]),
    )


def _decision_to_dict(decision: Decision) -> dict[str, Any]:
    return {
        "user_id": decision.user_id,
        "on_behalf_of": decision.on_behalf_of,
        "outcome": decision.outcome,
        "comment": decision.comment,
        "at": decision.at.isoformat(),
    }


def _decision_from_dict(data: Mapping[str, Any]) -> Decision:
    return Decision(
        user_id=data["user_id"],
        on_behalf_of=data["on_behalf_of"],
        outcome=data["outcome"],
        comment=data["comment"],
        at=datetime.fromisoformat(data["at"]),
    )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _parse(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
