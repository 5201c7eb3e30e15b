"""Request and response shapes of workflow runs: executing, deciding a gate, the approvals inbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from tenantplane.approvals.schemas import FulfillmentRead
from tenantplane.executions.schemas import CauserRead
from tenantplane.kit.schemas import InputSchema, ReadSchema


class ExecuteWorkflow(InputSchema):
    inputs: dict[str, Any] = Field(default_factory=dict)


class Decision(InputSchema):
    comment: str | None = Field(default=None, max_length=4000)


GateStatus = Literal["pending", "approved", "rejected", "timed_out", "cancelled"]


class GateWorkflowRead(ReadSchema):
    id: str | None = None
    name: str
    version: int | None = Field(default=None, description="The workflow version the execution runs")


class NextStepRead(ReadSchema):
    """A runbook step the gate leads to: once the gate is decided it runs exactly this version with these parameters."""

    step_id: str
    runbook_id: str | None = None
    runbook: str | None = Field(default=None, description="The runbook's name when the gate opened")
    runbook_version: int | None = Field(default=None, description="The pinned version (older gates have none)")
    parameters: dict[str, Any] = Field(default_factory=dict, description="Rendered when the gate opened")
    error: str | None = Field(default=None, description="Why the parameters could not be rendered")


class GateSubjectRead(ReadSchema):
    """What an approval gate asks to approve, as it was when the gate opened (readable by every approver)."""

    workflow: GateWorkflowRead | None = Field(default=None, description="Older gates have none")
    inputs: dict[str, Any] = Field(default_factory=dict)
    next_steps: list[NextStepRead] = Field(default_factory=list)


class GateDecisionRead(ReadSchema):
    user_id: str
    user: str | None = None
    on_behalf_of: str | None = Field(default=None, description="The approver a delegate voted for")
    decision: str
    comment: str | None = None
    at: str | None = None
    channel: str | None = Field(default=None, description="Where it was decided: api, action_link, …")


class GateRead(ReadSchema):
    id: uuid.UUID
    execution_id: uuid.UUID
    step_id: str
    attempt: int
    status: str
    message: str
    approvers: list[dict[str, Any]]
    min_approvals: int
    subject: GateSubjectRead
    decisions: list[GateDecisionRead]
    started_by: uuid.UUID | None
    caused_by: list[CauserRead] = Field(
        default_factory=list, description="Who caused the execution ({user_id, role}); four-eyes refuses each"
    )
    allow_self_approval: bool
    created_at: datetime
    decided_at: datetime | None
    rerouted: str | None = Field(default=None, description="Why the gate went to other approvers (a leaver's)")
    history: list[dict[str, Any]] = Field(
        default_factory=list, description="Reminders and its escalation, oldest first ({kind, at, ...})"
    )
    escalated_at: datetime | None = Field(default=None, description="When it was escalated (once per gate)")


class GateWhatRead(GateSubjectRead):
    """An automation inbox item's `what`: the gate's subject, with the execution and step it belongs to."""

    execution_id: uuid.UUID
    step_id: str


class InstanceWhatRead(ReadSchema):
    """An ITSM inbox item's `what`: the record the approval instance decides, and what approving it will run."""

    record_type: str
    record_id: uuid.UUID
    current_step: int | None = None
    variables: dict[str, Any] = Field(default_factory=dict)
    fulfillment: FulfillmentRead | None = None


class InboxItem(ReadSchema):
    kind: Literal["itsm", "automation"]
    id: uuid.UUID
    title: str
    what: GateWhatRead | InstanceWhatRead
    link: str
    created_at: datetime
