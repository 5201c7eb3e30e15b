"""Request and response shapes of automation workflows, their executions' gates and the approvals inbox.

Step configs stay free-form JSON here; `automation.definitions.validation` checks them per step type with field paths.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from tenantplane.kit.schemas import InputSchema, ReadSchema


class StepWrite(InputSchema):
    id: str = Field(min_length=1, max_length=100)
    type: str = Field(min_length=1, max_length=32)
    name: str = Field(default="", max_length=200)
    config: dict[str, Any] = Field(default_factory=dict)


class EdgeWrite(InputSchema):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    source: str = Field(alias="from", min_length=1)
    target: str = Field(alias="to", min_length=1)
    condition: str | None = None


class WorkflowWrite(InputSchema):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    inputs: dict[str, Any] | None = None
    allow_self_approval: bool = False
    steps: list[StepWrite] = Field(default_factory=list, max_length=200)
    edges: list[EdgeWrite] = Field(default_factory=list, max_length=1000)


class StepRead(ReadSchema):
    id: str
    type: str
    name: str
    config: dict[str, Any]


class EdgeRead(ReadSchema):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True, serialize_by_alias=True)

    source: str = Field(alias="from")
    target: str = Field(alias="to")
    condition: str | None = None


class WorkflowRead(ReadSchema):
    id: uuid.UUID
    name: str
    description: str
    version: int
    inputs: dict[str, Any] | None
    allow_self_approval: bool
    steps: list[StepRead]
    edges: list[EdgeRead]
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


class FieldProblem(ReadSchema):
    field: str
    message: str


class ValidationResult(ReadSchema):
    valid: bool
    errors: list[FieldProblem]
