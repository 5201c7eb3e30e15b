"""Request and response shapes of /api/secrets: a value goes in, only the name ever comes out.

Names are environment-variable names, since each secret reaches scripts as a variable of the same name.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from tenantplane.kit.schemas import InputSchema, ReadSchema
from tenantplane.secrets.names import is_reserved_env_name

SECRET_NAME_PATTERN = r"^[A-Z_][A-Z0-9_]*$"
MAX_SECRET_CHARS = 32 * 1024


def _usable_as_variable(name: str) -> str:
    # The sandbox refuses these names (they would change how the script runs); refuse them when saved.
    if is_reserved_env_name(name):
        raise ValueError(f"'{name}' is reserved for the script environment; choose another name")
    return name


SecretName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, pattern=SECRET_NAME_PATTERN),
    AfterValidator(_usable_as_variable),
]
SecretValue = Annotated[str, StringConstraints(min_length=1, max_length=MAX_SECRET_CHARS, strip_whitespace=False)]


class SecretCreate(InputSchema):
    name: SecretName
    value: SecretValue


class SecretUpdate(InputSchema):
    value: SecretValue


class SecretRead(ReadSchema):
    id: uuid.UUID
    name: str
    created_at: datetime
    updated_at: datetime
