"""What happens to an approval instance (events, the engine's input) and what the shell must then do (effects).

A Transition is the engine's answer to one event: the new state and its effects, in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeAlias

from tenantplane.approvals.engine.refusals import InvalidDecision
from tenantplane.approvals.engine.state import OUTCOMES, ApproverSets, InstanceState, InstanceStatus, Outcome

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
class RerouteStep:
    """Hand an open step nobody left can decide (its only approver left) to `to` (a fallback group or the admins).

    `approvers` as for RefreshApprovers (a skipped optional step may open the next order); `reason` is kept on
    the step (`rerouted`), so inboxes and the API show why it came to its new approvers."""

    step_name: str
    to: frozenset[str]
    reason: str
    now: datetime
    approvers: ApproverSets = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class EscalationDue:
    """A step's escalate_after passed: `to` (the shell's resolution of escalate_to) join its approvers, or replace
    them when the definition says escalation_replaces. Once per step; a step no longer open is left alone.

    `approvers` as for RefreshApprovers; `reason` is kept on the step (`escalation`) for inboxes and the API."""

    step_name: str
    to: frozenset[str]
    reason: str
    now: datetime
    approvers: ApproverSets = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Cancel:
    """Withdraw the request; who may cancel (requester or admin) is the shell's check, not the engine's."""

    actor_id: str
    now: datetime


Event: TypeAlias = Start | Decide | StepTimedOut | ReminderDue | RefreshApprovers | RerouteStep | EscalationDue | Cancel


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
class ScheduleEscalation:
    step_name: str
    due_seconds: int


@dataclass(frozen=True)
class FlagEmptyApproverSet:
    """A required step nobody can approve (empty set or unreachable quorum): tell the tenant admins."""

    step_name: str
    reason: str


@dataclass(frozen=True)
class EscalateStep:
    """Tell the tenant admins about a step that stays pending: its timeout asked for escalation, or an escalation
    found nobody to hand it to."""

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
    | ScheduleEscalation
    | FlagEmptyApproverSet
    | EscalateStep
    | Finished
    | NotifyRequester
)


@dataclass(frozen=True)
class Transition:
    state: InstanceState
    effects: tuple[Effect, ...] = ()
