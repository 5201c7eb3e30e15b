"""Request and response shapes of workflow runs: executing, deciding a gate, the approvals inbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from tenantplane.kit.schemas import InputSchema, ReadSchema


class ExecuteWorkflow(InputSchema):
    inputs: dict[str, Any] = Field(default_factory=dict)


class Decision(InputSchema):
    comment: str | None = Field(default=None, max_length=4000)


GateStatus = Literal["pending", "approved", "rejected", "timed_out", "cancelled"]


class GateRead(ReadSchema):
    id: uuid.UUID
    execution_id: uuid.UUID
    step_id: str
    attempt: int
    status: str
    message: str
    approvers: list[dict[str, Any]]
    min_approvals: int
    subject: dict[str, Any]
    decisions: list[dict[str, Any]]
    started_by: uuid.UUID | None
    caused_by: list[dict[str, Any]] = Field(
        default_factory=list, description="Who caused the execution ({user_id, role}); four-eyes refuses each"
    )
    allow_self_approval: bool
    created_at: datetime
    decided_at: datetime | None


class InboxItem(ReadSchema):
    kind: Literal["itsm", "automation"]
    id: uuid.UUID
    title: str
    what: dict[str, Any]
    link: str
    created_at: datetime
