"""Base Pydantic schemas: strict input (unknown fields refused, text safe for PostgreSQL) and pages.

Every request body derives from `InputSchema`; every list answer is a `Page`. Every integer a client sends is
bounded so that it fits its column (INT32_MAX for PostgreSQL `integer`): a save never makes later use fail.
"""

from __future__ import annotations

import types
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, field_validator

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


def _json_kind(annotation: Any) -> type | None:
    """`bool` or `datetime` when a field holds only that (optionally None), else None."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _json_kind(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        kinds = {_json_kind(a) for a in get_args(annotation) if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    return annotation if annotation in (bool, datetime) else None


def _check_kind(kind: type | None, value: Any) -> Any:
    """What the document promises is what is accepted: a boolean is `true`/`false` (not 0, 1 or "yes"), and a time is
    an ISO 8601 string (not a number read as seconds since 1970), as Pydantic's lax mode would take them."""
    if kind is bool and value is not None and not isinstance(value, bool):
        raise ValueError("must be true or false")
    if kind is datetime and isinstance(value, int | float):
        raise ValueError("must be an ISO 8601 date-time, e.g. 2026-01-31T09:00:00Z")
    return value


def _iso_only(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit():
        raise ValueError("must be an ISO 8601 date-time, e.g. 2026-01-31T09:00:00Z")
    return _check_kind(datetime, value)


# A time in a query string: an ISO 8601 date-time only (Pydantic would read "0.5" as seconds since 1970).
Timestamp = Annotated[datetime, BeforeValidator(_iso_only)]


class InputSchema(BaseModel):
    """A request body: unknown fields are an error, no text can break storage, booleans and times are what the
    OpenAPI document says they are."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _text_is_storable(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is not None:
            _check_kind(_json_kind(field.annotation), value)
        return _check_text(value)


class ReadSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
