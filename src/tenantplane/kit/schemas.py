"""Base Pydantic schemas: strict input (unknown fields refused, text safe for PostgreSQL) and pages.

Every request body derives from `InputSchema`; every list answer is a `Page`. Every integer a client sends is
bounded so that it fits its column (INT32_MAX for PostgreSQL `integer`): a save never makes later use fail.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, field_validator

from tenantplane.kit.input_rules import text_problem

INT32_MAX = 2**31 - 1  # the largest value of a PostgreSQL `integer` column


def _check_text(value: Any) -> Any:
    if isinstance(value, str):
        if problem := text_problem(value):
            raise ValueError(problem)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_text(item)
    return value


class InputSchema(BaseModel):
    """A request body: unknown fields are an error, and no text can break storage."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _text_is_storable(cls, value: Any) -> Any:
        return _check_text(value)


class ReadSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
