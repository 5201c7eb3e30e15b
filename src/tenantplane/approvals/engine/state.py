"""Value types of the ITSM approval engine: definition specs and the state of an instance.

Immutable dataclasses; building a DefinitionSpec validates it, new_instance gives a not-yet-started instance."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeAlias, TypeGuard, get_args

from tenantplane.approvals.engine.refusals import InvalidDefinition, UnknownStep

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
ESCALATE_TO_HELP = "manager (the approvers' managers), fallback (the tenant's fallback group) or group:<name or id>"
GROUP_TARGET = "group:"


def is_escalation_target(value: object) -> TypeGuard[str]:
    """`manager`, `fallback` or `group:<name or id>` (the shell checks that the group exists)."""
    if not isinstance(value, str):
        return False
    return value in ("manager", "fallback") or (
        value.startswith(GROUP_TARGET) and bool(value[len(GROUP_TARGET) :].strip())
    )


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
    escalate_after_seconds: int | None = None
    escalate_to: str | None = None  # manager | fallback | group:<id>: whom the shell hands the step to
    escalation_replaces: bool = False  # the escalation targets replace the approvers instead of joining them


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
    for name in ("timeout_seconds", "remind_after_seconds", "escalate_after_seconds"):
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
    _check_escalation(path, step)


def _check_escalation(path: str, step: StepSpec) -> None:
    if step.escalate_after_seconds is None:
        if step.escalate_to is not None:
            raise InvalidDefinition(f"{path}.escalate_to", "needs escalate_after (seconds)")
        if step.escalation_replaces:
            raise InvalidDefinition(f"{path}.escalation_replaces", "needs escalate_after (seconds)")
        return
    if step.escalate_to is None or not is_escalation_target(step.escalate_to):
        raise InvalidDefinition(f"{path}.escalate_to", f"must be {ESCALATE_TO_HELP}")
    if step.timeout_seconds is not None and step.escalate_after_seconds >= step.timeout_seconds:
        # A timeout first would reject, skip or flag the step before anyone it is escalated to could decide.
        raise InvalidDefinition(
            f"{path}.escalate_after_seconds", "must be less than timeout: a step escalates before it times out"
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
    escalated: bool = False  # a timeout with on_timeout escalate told the admins (once)
    opened_at: datetime | None = None
    rerouted: str | None = None  # why the step went to other approvers than its definition names (a leaver)
    escalation: str | None = None  # set once escalate_after passed: to whom it was escalated (never again after)
    reminded_at: datetime | None = None  # the last reminder sent: a second job for the same due time sends none


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


def new_instance(definition: DefinitionSpec, requester_id: str, requested_for_id: str | None = None) -> InstanceState:
    """A not-yet-started instance: every step pending and unresolved; apply Start next.

    `requested_for_id`: whom the request is for, when that is someone else (four-eyes excludes them too).
    """
    steps = tuple(StepState(name=s.name, order=s.order) for s in definition.steps)
    beneficiary = requested_for_id if requested_for_id != requester_id else None
    return InstanceState(requester_id=requester_id, requested_for_id=beneficiary, steps=steps)
