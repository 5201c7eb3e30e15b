"""Request and response shapes of /api/runbooks (the fixed runbook shape of PRODUCT.md §5).

Actions arrive as plain objects and are checked by `validation.py`, so each problem names its field.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from tenantplane.kit.schemas import InputSchema, ReadSchema
from tenantplane.secrets.schemas import SecretName

DEFAULT_TIMEOUT_SECONDS = 300
MAX_TIMEOUT_SECONDS = 24 * 3600
QueueName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]


class RunbookWrite(InputSchema):
    """The body of POST (first version) and PUT (next version)."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(max_length=4000)] = ""
    parameters: dict[str, Any] | None = Field(default=None, description="JSON Schema of the parameters")
    timeout_seconds: int = Field(default=DEFAULT_TIMEOUT_SECONDS, ge=1, le=MAX_TIMEOUT_SECONDS)
    secrets: list[SecretName] = Field(default_factory=list, max_length=100)
    queue: QueueName | None = Field(default=None, description="Job queue the executions run on (default 'default')")
    actions: list[dict[str, Any]] = Field(min_length=1, max_length=100)


class RunbookSummary(ReadSchema):
    id: uuid.UUID
    name: str
    description: str
    version: int
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


class RunbookRead(RunbookSummary):
    parameters: dict[str, Any] | None
    timeout_seconds: int
    secrets: list[str]
    queue: str
    actions: list[dict[str, Any]]


class RunbookVersionRead(ReadSchema):
    version: int
    created_at: datetime
    created_by: uuid.UUID | None
    definition: dict[str, Any]


class ExecuteRequest(InputSchema):
    parameters: dict[str, Any] = Field(default_factory=dict)
