"""Shapes of the action-link API: what a link approves (the record or the gate) and the decision it posts.

The subject is described by the domain owning it (approvals, automation) through `actionlinks.hooks`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from tenantplane.kit.schemas import InputSchema

Decision = Literal["approved", "rejected"]


class Fact(BaseModel):
    """One labelled line of what is approved (Record, Requested by, Workflow, Execution…)."""

    label: str
    value: str


class NextStep(BaseModel):
    """What runs once a gate is approved: a runbook step, its pinned version and rendered parameters."""

    step_id: str
    runbook: str | None = None
    runbook_version: int | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)


class SubjectRead(BaseModel):
    """What the link decides: an ITSM approval step or an automation gate, as its approver sees it."""

    kind: Literal["approval_step", "gate"]
    title: str
    step: str | None = None
    status: str
    message: str | None = None
    facts: list[Fact] = Field(default_factory=list)
    variables: dict[str, Any] = Field(default_factory=dict)
    next_steps: list[NextStep] = Field(default_factory=list)


class ActionLinkRead(BaseModel):
    """An open link: whose it is, what it decides, until when."""

    decision: Decision
    person: str
    expires_at: datetime
    subject: SubjectRead


class ActionLinkDecision(InputSchema):
    comment: str | None = Field(default=None, max_length=4000, description="Required to reject.")


class ActionLinkResult(BaseModel):
    """The decision made, and the subject's status after it (still pending while a quorum is not reached)."""

    decision: Decision
    status: str
    subject: SubjectRead
