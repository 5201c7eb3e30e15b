"""The ITSM approval workflow engine: pure rules that move an approval instance from one state to the next.

apply(definition, state, event) returns the new state and the effects the shell must carry out; no I/O here.
Import from this package (it re-exports every public name) or from one of its modules, bottom up:
refusals (typed refusals) → state (definition specs, instance state) → events (events, effects, Transition)
→ stored (JSONB form, step_results) → rules (the rules a transition is made of) → transitions (apply)
and preview (the "who approves this?" dry run).

How the shell drives it
- Approver resolution: the engine never looks up groups, roles, managers or delegations. Every event that
  can make a new order current (Start, Decide, StepTimedOut, RefreshApprovers) carries `approvers`, the
  shell's fresh resolution step name → user ids (for `any`: every active user of the tenant). The engine
  reads a step's entry only at the moment its order becomes current and keeps that snapshot, so a later
  step sees the directory as it is when its turn comes. `steps_to_resolve(state)` names the steps whose
  entries may be read; a missing entry raises ApproversNotResolved instead of guessing. This keeps one
  apply per request (no resolve-and-feed-back loop, no half-opened state to persist).
- Four-eyes: unless the definition allows self-approval, the requester and the person the request is for
  (`requested_for_id`) are removed from every approver set and may not decide, not even as someone's delegate.
- A step nobody can approve (no eligible approvers, or fewer than its quorum) is never silently approved:
  an optional one is skipped with the reason; a required one stays pending, is flagged (FlagEmptyApproverSet)
  and keeps the instance pending until RefreshApprovers, a timeout or a cancel moves it.
- One rejection vetoes a step. A rejected required step rejects the instance at once; the other steps of
  that order (and all later ones) keep status `pending`, which a finished instance's status explains.
- Timeouts: `reject` rejects the step, `skip` skips it (optional steps only; definitions refuse it on
  required ones), `escalate` (also the default when no on_timeout is set) emits EscalateStep once and
  leaves the step pending. Timers and reminders are durable jobs that may fire late: a timeout or reminder
  for a step that is no longer open is a no-op. A reminder repeats every remind_after_seconds while open.
- Escalation (escalate_after_seconds): EscalationDue hands an open step to the shell's resolution of escalate_to,
  once per step: the targets join the approvers, or replace them (escalation_replaces) when they can reach the
  quorum. Four-eyes applies to them as to everyone; the newcomers are notified (NotifyApprovers).
"""

from __future__ import annotations

from tenantplane.approvals.engine.events import (
    Cancel,
    Decide,
    Effect,
    EscalateStep,
    EscalationDue,
    Event,
    Finished,
    FlagEmptyApproverSet,
    NotifyApprovers,
    NotifyRequester,
    RefreshApprovers,
    RemindApprovers,
    ReminderDue,
    RerouteStep,
    ScheduleEscalation,
    ScheduleReminder,
    ScheduleTimeout,
    Start,
    StepTimedOut,
    Transition,
)
from tenantplane.approvals.engine.preview import PreviewOrder, PreviewStep, preview
from tenantplane.approvals.engine.refusals import (
    AlreadyDecided,
    AlreadyStarted,
    ApprovalError,
    ApproversNotResolved,
    CommentRequired,
    FourEyesRefused,
    InvalidDecision,
    InvalidDefinition,
    NotEligible,
    NotPending,
    StepNotCurrent,
    UnknownStep,
)
from tenantplane.approvals.engine.rules import four_eyes_excluded, undecided_approvers
from tenantplane.approvals.engine.state import (
    APPROVER_TYPES,
    ESCALATE_TO_HELP,
    GROUP_TARGET,
    OUTCOMES,
    TIMEOUT_OUTCOMES,
    ApproverSets,
    ApproverType,
    Decision,
    DefinitionSpec,
    InstanceState,
    InstanceStatus,
    Outcome,
    StepSpec,
    StepState,
    StepStatus,
    TimeoutOutcome,
    is_escalation_target,
    new_instance,
)
from tenantplane.approvals.engine.stored import STATE_SCHEMA, from_dict, step_results, to_dict
from tenantplane.approvals.engine.transitions import apply, decidable_steps, start_instance, steps_to_resolve

__all__ = [
    "APPROVER_TYPES",
    "ESCALATE_TO_HELP",
    "GROUP_TARGET",
    "OUTCOMES",
    "STATE_SCHEMA",
    "TIMEOUT_OUTCOMES",
    "AlreadyDecided",
    "AlreadyStarted",
    "ApprovalError",
    "ApproverSets",
    "ApproverType",
    "ApproversNotResolved",
    "Cancel",
    "CommentRequired",
    "Decide",
    "Decision",
    "DefinitionSpec",
    "Effect",
    "EscalateStep",
    "EscalationDue",
    "Event",
    "Finished",
    "FlagEmptyApproverSet",
    "FourEyesRefused",
    "InstanceState",
    "InstanceStatus",
    "InvalidDecision",
    "InvalidDefinition",
    "NotEligible",
    "NotPending",
    "NotifyApprovers",
    "NotifyRequester",
    "Outcome",
    "PreviewOrder",
    "PreviewStep",
    "RefreshApprovers",
    "RemindApprovers",
    "ReminderDue",
    "RerouteStep",
    "ScheduleEscalation",
    "ScheduleReminder",
    "ScheduleTimeout",
    "Start",
    "StepNotCurrent",
    "StepSpec",
    "StepState",
    "StepStatus",
    "StepTimedOut",
    "TimeoutOutcome",
    "Transition",
    "UnknownStep",
    "apply",
    "decidable_steps",
    "four_eyes_excluded",
    "from_dict",
    "is_escalation_target",
    "new_instance",
    "preview",
    "start_instance",
    "step_results",
    "steps_to_resolve",
    "to_dict",
    "undecided_approvers",
]
