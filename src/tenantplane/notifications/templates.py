"""Message templates, rendered as plain text (no HTML escaping) in the product's one sandbox (`kit.templating`).

`check_template` is the definition-time check (422); `render_message` runs at send time and raises `TemplateFailed`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenantplane.kit.templating import TemplateFailed, check_template, render_async

MAX_SUBJECT = 998  # the longest line RFC 5322 allows in a header
MAX_BODY = 100_000

__all__ = ["MAX_BODY", "MAX_SUBJECT", "TemplateFailed", "check_template", "plain_subject", "render_message"]


def plain_subject(text: str) -> str:
    """A subject is one line: whitespace (newlines included) collapses to single spaces."""
    return " ".join(text.split())[:MAX_SUBJECT]


async def render_message(subject: str, body: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """The rendered subject (one line) and body (cut to MAX_BODY characters), under one render budget."""
    rendered = await render_async({"subject": subject, "body": body}, dict(context))
    return plain_subject(rendered["subject"]), rendered["body"][:MAX_BODY]
