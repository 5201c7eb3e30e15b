"""Templates in http and built-in action configs, rendered in Jinja2's immutable sandbox.

Only configs are rendered; script text never is (parameters reach scripts as data, not as code).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

_environment = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


class TemplateFailed(Exception):
    """A template could not be rendered (unknown name, sandbox violation, runtime error)."""


@functools.lru_cache(maxsize=1024)
def compile_condition(expression: str) -> Callable[..., Any]:
    """A condition expression compiled once in the sandbox (raises TemplateError when it does not parse)."""
    return _environment.compile_expression(expression, undefined_to_none=False)


def _is_template(text: str) -> bool:
    return "{{" in text or "{%" in text or "{#" in text


def syntax_errors(value: Any, field: str) -> list[tuple[str, str]]:
    """(field, message) for every string inside `value` that does not parse as a template."""
    if isinstance(value, str):
        if not _is_template(value):
            return []
        try:
            _environment.parse(value)
        except TemplateError as error:
            return [(field, f"template does not parse: {error.message or error}")]
        return []
    if isinstance(value, Mapping):
        return [e for key, item in value.items() for e in syntax_errors(item, f"{field}.{key}")]
    if isinstance(value, list):
        return [e for index, item in enumerate(value) for e in syntax_errors(item, f"{field}.{index}")]
    return []


def has_template(value: Any) -> bool:
    if isinstance(value, str):
        return _is_template(value)
    if isinstance(value, Mapping):
        return any(has_template(item) for item in value.values())
    if isinstance(value, list):
        return any(has_template(item) for item in value)
    return False


def render(value: Any, context: Mapping[str, Any]) -> Any:
    """Renders every string inside `value` (dict keys stay as written); other JSON values pass through."""
    if isinstance(value, str):
        if not _is_template(value):
            return value
        try:
            return _environment.from_string(value).render(context)
        except TemplateError as error:
            raise TemplateFailed(f"template {value!r} failed: {error.message or error}") from error
        except Exception as error:  # a runtime error inside an expression, e.g. a division by zero
            raise TemplateFailed(f"template {value!r} failed: {type(error).__name__}: {error}") from error
    if isinstance(value, Mapping):
        return {key: render(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, context) for item in value]
    return value
