"""Checks of a runbook definition before it is saved: every problem is reported with the field it is in.

Pure: no database, no I/O. The service adds the checks that need the tenant (do the secrets exist?).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, SchemaError
from jsonschema.validators import validator_for

from tenantplane.kit import templating
from tenantplane.runbooks.actions import SCRIPT_TYPES, builtin_for, builtin_types

Problem = tuple[str, str]
ACTION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
MAX_SCRIPT_CHARS = 256 * 1024
_SCRIPT_FIELDS = frozenset({"script"})
_HTTP_FIELDS = frozenset({"method", "url", "headers", "body", "expect_status"})


def check_parameters_schema(schema: Mapping[str, Any] | None) -> list[Problem]:
    """The parameters must be a valid JSON Schema describing an object (they arrive as a JSON object)."""
    if schema is None:
        return []
    cls = validator_for(schema, default=Draft202012Validator)
    try:
        cls.check_schema(dict(schema))
    except SchemaError as error:
        where = ".".join(str(p) for p in error.absolute_path)
        return [("parameters" + (f".{where}" if where else ""), f"not a valid JSON Schema: {error.message}")]
    if schema.get("type", "object") != "object":
        return [("parameters.type", "parameters are a JSON object, so the schema's type must be 'object'")]
    return []


def normalise_actions(actions: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The actions as they will be stored (e.g. methods upper-cased), and every problem found in them."""
    problems: list[Problem] = []
    normalised: list[dict[str, Any]] = []
    first_seen: dict[str, int] = {}
    for index, action in enumerate(actions):
        field = f"actions.{index}"
        problems += _check_name(action.get("name"), field, first_seen, index)
        kind = action.get("type")
        config = {k: v for k, v in action.items() if k not in ("name", "type")}
        if not isinstance(kind, str) or not kind:
            problems.append((f"{field}.type", "is required: shell, python, http or a built-in action"))
        elif kind in SCRIPT_TYPES:
            problems += _check_script(config, field)
        elif kind == "http":
            config, found = _check_http(config, field)
            problems += found
        else:
            problems += _check_builtin(kind, config, field)
        normalised.append({"name": action.get("name"), "type": kind, **config})
    return normalised, problems


def _check_name(name: Any, field: str, first_seen: dict[str, int], index: int) -> list[Problem]:
    if not isinstance(name, str) or not name:
        return [(f"{field}.name", "is required")]
    if not ACTION_NAME.fullmatch(name):
        return [(f"{field}.name", "must start with a letter or _ and use only letters, digits, _ and - (max 64)")]
    if name in first_seen:
        return [(f"{field}.name", f"duplicate action name '{name}' (also actions.{first_seen[name]})")]
    first_seen[name] = index
    return []


def _unknown_fields(config: Mapping[str, Any], allowed: frozenset[str], field: str, kind: str) -> list[Problem]:
    return [(f"{field}.{key}", f"unknown field for a '{kind}' action") for key in sorted(set(config) - allowed)]


def _check_script(config: Mapping[str, Any], field: str) -> list[Problem]:
    problems = _unknown_fields(config, _SCRIPT_FIELDS, field, "script")
    script = config.get("script")
    if not isinstance(script, str) or not script.strip():
        problems.append((f"{field}.script", "is required: the script to run"))
    elif len(script) > MAX_SCRIPT_CHARS:
        problems.append((f"{field}.script", f"is longer than {MAX_SCRIPT_CHARS} characters"))
    return problems


def _check_http(config: dict[str, Any], field: str) -> tuple[dict[str, Any], list[Problem]]:
    problems = _unknown_fields(config, _HTTP_FIELDS, field, "http")
    method = config.get("method")
    if not isinstance(method, str) or method.upper() not in HTTP_METHODS:
        problems.append((f"{field}.method", f"is required, one of {', '.join(sorted(HTTP_METHODS))}"))
    else:
        config = {**config, "method": method.upper()}
    problems += _check_url(config.get("url"), f"{field}.url")
    headers = config.get("headers")
    if headers is not None and not (isinstance(headers, dict) and all(isinstance(v, str) for v in headers.values())):
        problems.append((f"{field}.headers", "must be an object of header names to text values"))
    expect = config.get("expect_status")
    valid_codes = isinstance(expect, list) and expect and all(type(c) is int and 100 <= c <= 599 for c in expect)
    if expect is not None and not valid_codes:
        problems.append((f"{field}.expect_status", "must be a non-empty list of HTTP status codes (100-599)"))
    for key in ("headers", "body"):
        problems += templating.syntax_errors(config.get(key), f"{field}.{key}")
    return config, problems


def _check_url(url: Any, field: str) -> list[Problem]:
    if not isinstance(url, str) or not url:
        return [(field, "is required")]
    if templating.has_template(url):
        return templating.syntax_errors(url, field)  # checked when rendered, before every request
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [(field, "must be an http:// or https:// URL with a host")]
    return []


def _check_builtin(kind: str, config: Mapping[str, Any], field: str) -> list[Problem]:
    spec = builtin_for(kind)
    if spec is None:
        known = ", ".join(["shell", "python", "http", *builtin_types()])
        return [(f"{field}.type", f"unknown action type '{kind}'; use one of {known}")]
    problems = _unknown_fields(config, spec.fields, field, kind)
    problems += [(f"{field}.{key}", "is required") for key in sorted(spec.required - set(config))]
    if not problems:
        problems += [(f"{field}.{where}", message) for where, message in spec.validate(config)]
    return problems
