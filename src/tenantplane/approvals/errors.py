"""Engine refusals as problem responses: each ApprovalError becomes a DomainError with the same status and type.

Field paths of the engine (`steps[1].timeout_seconds`) become the API's (`steps.1.timeout`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tenantplane.approvals.engine import ApprovalError, CommentRequired, InvalidDefinition, UnknownStep
from tenantplane.kit.errors import DomainError, ValidationFailed

_INDEX = re.compile(r"\[(\d+)\]")
_API_FIELDS = {
    "timeout_seconds": "timeout",
    "remind_after_seconds": "remind_after",
    "escalate_after_seconds": "escalate_after",
}


def api_field(engine_field: str) -> str:
    """`steps[1].timeout_seconds` → `steps.1.timeout` (the names clients send)."""
    path = _INDEX.sub(r".\1", engine_field)
    head, _, last = path.rpartition(".")
    last = _API_FIELDS.get(last, last)
    return f"{head}.{last}" if head else last


_PROBLEM_CLASSES: dict[type[ApprovalError], type[DomainError]] = {}


def _problem_class(refusal: type[ApprovalError]) -> type[DomainError]:
    """A DomainError subclass mirroring one engine refusal class (made once, then reused)."""
    if refusal not in _PROBLEM_CLASSES:
        attributes = {"status_code": refusal.status_code, "problem_type": refusal.problem_type, "title": refusal.title}
        _PROBLEM_CLASSES[refusal] = type(refusal.__name__, (DomainError,), attributes)
    return _PROBLEM_CLASSES[refusal]


def as_problem(refusal: ApprovalError) -> DomainError:
    """The DomainError the API answers for an engine refusal (field errors named as clients sent them)."""
    if isinstance(refusal, InvalidDefinition):
        return ValidationFailed.field(api_field(refusal.field), refusal.message)
    errors: list[dict[str, Any]] | None = None
    if isinstance(refusal, CommentRequired):
        errors = [{"field": "comment", "message": refusal.detail}]
    elif isinstance(refusal, UnknownStep):
        errors = [{"field": "step", "message": refusal.detail}]
    return _problem_class(type(refusal))(refusal.detail, errors=errors)


@contextmanager
def engine_refusals() -> Iterator[None]:
    """Run engine calls inside this block: a refusal leaves it as the matching problem response."""
    try:
        yield
    except ApprovalError as refusal:
        raise as_problem(refusal) from refusal
