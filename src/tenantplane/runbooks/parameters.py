"""Execution parameters checked against the runbook's JSON Schema, one problem per field (`parameters.<name>`).

Top-level defaults of the schema fill parameters the caller left out, before validation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.validators import validator_for


def with_defaults(schema: Mapping[str, Any] | None, parameters: Mapping[str, Any]) -> dict[str, Any]:
    filled = dict(parameters)
    properties = (schema or {}).get("properties")
    if isinstance(properties, Mapping):
        for name, spec in properties.items():
            if name not in filled and isinstance(spec, Mapping) and "default" in spec:
                filled[name] = spec["default"]
    return filled


def parameter_problems(schema: Mapping[str, Any] | None, parameters: Mapping[str, Any]) -> list[dict[str, str]]:
    """Every way `parameters` breaks `schema`, as {"field", "message"} with fields like `parameters.port`."""
    if schema is None:
        return []
    cls = validator_for(schema, default=Draft202012Validator)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    problems: list[dict[str, str]] = []
    for error in sorted(validator.iter_errors(parameters), key=lambda e: [str(p) for p in e.absolute_path]):
        problems += [{"field": field, "message": message} for field, message in _explain(error)]
    return problems


def _explain(error: ValidationError) -> list[tuple[str, str]]:
    base = ".".join(["parameters", *(str(p) for p in error.absolute_path)])
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    if error.validator == "required":
        required = error.validator_value if isinstance(error.validator_value, list) else []
        missing = [n for n in required if n not in instance and repr(n) in error.message]
        return [(f"{base}.{name}", "is required") for name in missing[:1]] or [(base, error.message)]
    if error.validator == "additionalProperties":
        known = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
        extra = [name for name in instance if name not in known]
        return [(f"{base}.{name}", "is not a parameter of this runbook") for name in extra] or [(base, error.message)]
    return [(base, error.message)]
