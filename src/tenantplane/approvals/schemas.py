"""Request and response shapes of the ITSM approval API (PRODUCT.md §3): definitions, instances, decisions.

Input schemas refuse unknown fields; field names are the product's (`approver_type`, `step_results`, …).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from tenantplane.approvals.engine import ApproverType, InstanceStatus, Outcome, StepStatus, TimeoutOutcome
from tenantplane.kit.schemas import INT32_MAX, InputSchema, ReadSchema

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Comment = Annotated[str, StringConstraints(max_length=4000)]
RecordType = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.-]{0,63}$")]
Seconds = Annotated[int, Field(gt=0, le=365 * 24 * 3600)]
EscalateTo = Annotated[str, StringConstraints(min_length=1, max_length=330)]
DefinitionStatus = Literal["active", "archived"]


# What an approved service request will run (pinned at submit), shown to its approvers; ITSM fills it in.
class FulfillmentTargetRead(ReadSchema):
    id: uuid.UUID
    name: str = Field(description="Its name when the request was submitted")
    version: int = Field(description="The version pinned at submit: exactly this one runs")


class FulfillmentRead(ReadSchema):
    """How the request is fulfilled, pinned at submit: after approval (and on a retry) exactly this runs."""

    type: Literal["manual", "runbook", "workflow"]
    runbook: FulfillmentTargetRead | None = None
    workflow: FulfillmentTargetRead | None = None
    parameters: dict[str, Any] | None = Field(
        default=None, description="The rendered runbook parameters or workflow inputs it runs with"
    )
    error: str | None = Field(default=None, description="Why it cannot start (e.g. a template that failed at submit)")
    runs: int = Field(default=0, description="How many fulfillment runs have started (retries included)")


class StepWrite(InputSchema):
    name: Name
    order: int = Field(
        gt=0, le=INT32_MAX, description="Steps run in ascending order; steps sharing an order run in parallel"
    )
    approver_type: ApproverType
    approver_value: Annotated[str, StringConstraints(max_length=320)] | None = Field(
        default=None, description="user id or email, group id or name, role name; absent for any and manager"
    )
    required: bool = True
    min_approvals: int = Field(default=1, ge=1, le=1000, description="Distinct approvals needed (quorum)")
    timeout: Seconds | None = Field(default=None, description="Seconds without a decision before on_timeout")
    on_timeout: TimeoutOutcome | None = Field(default=None, description="reject | skip | escalate (default)")
    remind_after: Seconds | None = Field(default=None, description="Seconds between reminders while undecided")
    escalate_after: Seconds | None = Field(
        default=None, description="Seconds without a decision before the step is escalated (once; before timeout)"
    )
    escalate_to: EscalateTo | None = Field(
        default=None, description="manager (the approvers' managers), fallback, or group:<name or id>"
    )
    escalation_replaces: bool = Field(
        default=False, description="The escalation targets replace the approvers (off: they join them)"
    )


class DefinitionWrite(InputSchema):
    name: Name
    description: Annotated[str, StringConstraints(max_length=4000)] = ""
    allow_self_approval: bool = Field(default=False, description="Let the requester approve (off: four-eyes rule)")
    steps: list[StepWrite] = Field(min_length=1, max_length=50)


class StepRead(ReadSchema):
    name: str
    order: int
    approver_type: ApproverType
    approver_value: str | None
    approver_label: str | None = Field(description="The user's email, the group's name or the role, for display")
    required: bool
    min_approvals: int
    timeout: int | None
    on_timeout: TimeoutOutcome | None
    remind_after: int | None
    escalate_after: int | None = None
    escalate_to: str | None = Field(default=None, description="manager, fallback, or group:<group id>")
    escalation_replaces: bool = False


class DefinitionRead(ReadSchema):
    id: uuid.UUID
    name: str
    description: str
    version: int
    status: DefinitionStatus
    allow_self_approval: bool
    steps: list[StepRead]
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None


class PreviewRequest(InputSchema):
    requester_id: uuid.UUID | None = Field(default=None, description="Whose request to preview; default: the caller")
    requested_for_id: uuid.UUID | None = Field(
        default=None, description="Whom the request is for, when someone else: left out too, and their manager asked"
    )
    variables: dict[str, Any] = Field(default_factory=dict)


class ApproverRead(ReadSchema):
    id: uuid.UUID
    email: str
    display_name: str


class PreviewStepRead(ReadSchema):
    name: str
    required: bool
    min_approvals: int
    approver_type: ApproverType
    approver_value: str | None
    approvers: list[ApproverRead]
    notes: list[str]


class PreviewOrderRead(ReadSchema):
    order: int
    steps: list[PreviewStepRead]


class PreviewRead(ReadSchema):
    definition_id: uuid.UUID
    definition_version: int
    requester_id: uuid.UUID
    requested_for_id: uuid.UUID | None = None
    orders: list[PreviewOrderRead]


class InstanceStart(InputSchema):
    definition_id: uuid.UUID
    record_type: RecordType
    record_id: uuid.UUID
    title: Annotated[str, StringConstraints(max_length=300)] | None = None
    variables: dict[str, Any] = Field(default_factory=dict)


class DecisionRead(ReadSchema):
    user_id: str
    on_behalf_of: str | None
    outcome: Outcome
    comment: str | None
    at: datetime


class StepResultRead(ReadSchema):
    order: int
    name: str
    status: StepStatus
    decisions: list[DecisionRead]
    reason: str | None
    rerouted: str | None = Field(default=None, description="Why the step went to other approvers (a leaver's)")
    escalation: str | None = Field(
        default=None, description="To whom the step was escalated, once escalate_after passed"
    )


class InstanceRead(ReadSchema):
    id: uuid.UUID
    definition_id: uuid.UUID
    definition_version: int
    record_type: str
    record_id: uuid.UUID
    title: str | None
    requester_id: uuid.UUID
    requested_for_id: uuid.UUID | None = Field(
        None, description="Whom the record is for, when not the requester (four-eyes refuses both)"
    )
    status: InstanceStatus
    current_step: int | None
    step_results: list[StepResultRead]
    variables: dict[str, Any]
    fulfillment: FulfillmentRead | None = Field(
        default=None, description="For a service request: the runbook/workflow version and parameters it will run"
    )
    can_decide: list[str] = Field(description="Open steps the caller may approve or reject now")
    link: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class DecisionWrite(InputSchema):
    comment: Comment | None = Field(default=None, description="Required to reject")
    step: Name | None = Field(default=None, description="One step, when several share the current order")


class CancelWrite(InputSchema):
    comment: Comment | None = None


class ApprovalEventRead(ReadSchema):
    id: uuid.UUID
    kind: str
    actor_id: uuid.UUID | None
    payload: dict[str, Any]
    created_at: datetime
