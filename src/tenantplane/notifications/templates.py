"""Message templates: Jinja2's sandbox with strict undefined names, as plain text (no HTML escaping).

`check_template` is the definition-time check (422); `render` runs at send time and raises `TemplateFailed`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from tenantplane.kit.errors import ValidationFailed

MAX_SUBJECT = 998  # the longest line RFC 5322 allows in a header
MAX_BODY = 100_000
_MAX_REPEAT = 10_000


class TemplateFailed(Exception):
    """A template that does not parse, names something the context lacks, or breaks a sandbox rule."""


class MessageSandbox(SandboxedEnvironment):
    """The sandbox, plus a cap on `*` and `**` so a template cannot build a gigantic string in the worker."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        numbers = [v for v in (left, right) if isinstance(v, int)]
        if operator == "**" and isinstance(right, int) and abs(right) > 100:
            raise SecurityError("exponent too large")
        if operator == "*" and not all(isinstance(v, int | float) for v in (left, right)):
            if any(abs(n) > _MAX_REPEAT for n in numbers):
                raise SecurityError("repetition too large")
        return super().call_binop(context, operator, left, right)


_ENV = MessageSandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


def check_template(source: str, *, field: str, names: Collection[str] | None = None) -> None:
    """Refuse (422 naming `field`) a template that does not parse or uses a top-level name outside `names`."""
    try:
        parsed = _ENV.parse(source)
    except TemplateError as exc:
        raise ValidationFailed.field(field, f"the template does not parse: {exc}") from exc
    if names is not None:
        unknown = sorted(meta.find_undeclared_variables(parsed) - set(names))
        if unknown:
            known = ", ".join(sorted(names)) or "none"
            raise ValidationFailed.field(field, f"the template uses {', '.join(unknown)}; available: {known}")


def render(source: str, context: Mapping[str, Any], *, limit: int = MAX_BODY) -> str:
    """The rendered text, cut to `limit` characters; TemplateFailed says what went wrong."""
    try:
        text = _ENV.from_string(source).render(dict(context))
    except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError) as exc:  # SecurityError included
        raise TemplateFailed(f"{type(exc).__name__}: {exc}") from exc
    return text[:limit]


def render_subject(source: str, context: Mapping[str, Any]) -> str:
    """A subject is one line: whitespace (newlines included) collapses to single spaces."""
    return " ".join(render(source, context).split())[:MAX_SUBJECT]
