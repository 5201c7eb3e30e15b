"""Refusals of the ITSM approval engine: one exception class per reason an event or a definition is refused.

Each carries its HTTP status and problem type, so the shell (approvals/errors.py) maps it as is."""

from __future__ import annotations

from typing import ClassVar


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
