"""Request and response shapes of /api/scim-tokens (the token's secret appears in the creation response only)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from tenantplane.kit.schemas import InputSchema, ReadSchema


class ScimTokenCreate(InputSchema):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ScimTokenRead(ReadSchema):
    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ScimTokenCreated(ScimTokenRead):
    token: str = Field(description="The secret (tpscim_…); shown only in this response")
