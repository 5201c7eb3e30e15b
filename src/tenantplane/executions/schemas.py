"""Response shapes of /api/executions: an execution with its step runs (PRODUCT.md §5 and §6).

Logs and outputs are masked before they are stored, so these shapes never carry a secret value.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from tenantplane.kit.schemas import ReadSchema


class StepRunRead(ReadSchema):
    name: str
    type: str
    position: int
    status: str
    step_id: str | None = None
    attempts: int = Field(default=0, validation_alias="attempt")
    exit_code: int | None
    outputs: dict[str, Any]
    log: str
    reason: str | None
    started_at: datetime | None
    finished_at: datetime | None
    runbook_execution_id: uuid.UUID | None = Field(
        None, description="A workflow's runbook step: the runbook execution of its latest attempt (its logs)"
    )
    runbook_version: int | None = Field(
        None, description="A workflow's runbook step: the runbook version it runs (pinned when the execution started)"
    )


class CauserRead(ReadSchema):
    user_id: uuid.UUID
    role: str = Field(description="requester | requested_for | trigger_owner | starter")


class ExecutionSummary(ReadSchema):
    id: uuid.UUID
    kind: str
    status: str
    name: str | None = Field(None, description="The runbook's or workflow's name (now; it may have been renamed)")
    runbook_id: uuid.UUID | None
    runbook_version: int | None
    workflow_id: uuid.UUID | None
    workflow_version: int | None
    started_by: uuid.UUID | None
    cause: str | None = Field(
        None, description="Why it ran: manual | schedule | webhook | itsm_event | fulfillment | workflow_step"
    )
    caused_by: list[CauserRead] = Field(
        default_factory=list, description="Who caused it (four-eyes refuses each on its gates); empty for a webhook"
    )
    caused_by_text: str = Field("", description='For people: "inbound webhook (nobody)", "schedule (trigger owner)"')
    error: str | None
    cancel_requested_at: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ExecutionRead(ExecutionSummary):
    parameters: dict[str, Any]
    outputs: dict[str, Any]
    steps: list[StepRunRead]
