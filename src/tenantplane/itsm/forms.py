"""Catalog request forms: validate a form definition, and validate submitted values against it.

Pure functions; problems come back as (field, message) pairs so the API can name every bad field at once.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

VARIABLE_TYPES = ("string", "text", "number", "boolean", "choice", "date", "user")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_TEXT = {"string": 500, "text": 20_000}

Problem = tuple[str, str]


@dataclass(frozen=True)
class FormVariable:
    name: str
    label: str
    type: str
    required: bool
    choices: tuple[str, ...]
    default: Any


def check_form(variables: list[dict[str, Any]]) -> tuple[list[FormVariable], list[Problem]]:
    """Validate a form definition (the catalog item's `variables`)."""
    problems: list[Problem] = []
    parsed: list[FormVariable] = []
    seen: set[str] = set()
    for i, raw in enumerate(variables):
        where = f"variables.{i}"
        name, kind = raw.get("name"), raw.get("type", "string")
        if not isinstance(name, str) or not NAME.match(name):
            problems.append((f"{where}.name", "must be a lower-case identifier (a-z, 0-9, _), at most 64 characters"))
            continue
        if name in seen:
            problems.append((f"{where}.name", f"'{name}' is used by another variable"))
        seen.add(name)
        if kind not in VARIABLE_TYPES:
            problems.append((f"{where}.type", f"must be one of {', '.join(VARIABLE_TYPES)}"))
            continue
        choices = tuple(str(c) for c in raw.get("choices") or ())
        if kind == "choice" and not choices:
            problems.append((f"{where}.choices", "a choice variable needs at least one choice"))
        variable = FormVariable(
            name, str(raw.get("label") or name), kind, bool(raw.get("required", False)), choices, raw.get("default")
        )
        if variable.default is not None:
            _, message = _coerce(variable, variable.default)
            if message:
                problems.append((f"{where}.default", message))
        parsed.append(variable)
    return parsed, problems


def validate_values(
    form: list[FormVariable], values: dict[str, Any], *, known_users: set[uuid.UUID] | None = None
) -> tuple[dict[str, Any], list[Problem]]:
    """Coerce submitted values to the form (defaults applied); every problem names `variables.<name>`."""
    problems: list[Problem] = []
    by_name = {v.name: v for v in form}
    for name in values:
        if name not in by_name:
            problems.append((f"variables.{name}", "is not a field of this form"))
    clean: dict[str, Any] = {}
    for variable in form:
        value = values.get(variable.name, variable.default)
        if value is None or value == "":
            if variable.required:
                problems.append((f"variables.{variable.name}", f"{variable.label} is required"))
            continue
        coerced, message = _coerce(variable, value)
        if message:
            problems.append((f"variables.{variable.name}", message))
            continue
        if variable.type == "user" and known_users is not None and uuid.UUID(coerced) not in known_users:
            problems.append((f"variables.{variable.name}", "is not a user of this tenant"))
            continue
        clean[variable.name] = coerced
    return clean, problems


def user_references(form: list[FormVariable], values: dict[str, Any]) -> set[uuid.UUID]:
    """The user ids a submission names (to check they exist in the tenant)."""
    found = set()
    for variable in form:
        if variable.type == "user" and variable.name in values:
            try:
                found.add(uuid.UUID(str(values[variable.name])))
            except ValueError:
                pass
    return found


def _coerce(variable: FormVariable, value: Any) -> tuple[Any, str | None]:
    kind = variable.type
    if kind in ("string", "text"):
        if not isinstance(value, str):
            return None, "must be text"
        if len(value) > MAX_TEXT[kind]:
            return None, f"must be at most {MAX_TEXT[kind]} characters"
        return value, None
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, "must be a number"
        return value, None
    if kind == "boolean":
        return (value, None) if isinstance(value, bool) else (None, "must be true or false")
    if kind == "choice":
        return (
            (value, None) if str(value) in variable.choices else (None, f"must be one of {', '.join(variable.choices)}")
        )
    if kind == "date":
        try:
            return date.fromisoformat(str(value)).isoformat(), None
        except ValueError:
            return None, "must be a date (YYYY-MM-DD)"
    try:
        return str(uuid.UUID(str(value))), None
    except ValueError:
        return None, "must be a user id"
