"""What each kind of subject does with a link: describe it, decide it as the link's person.

Registered by the domains owning the subjects in `tenantplane.<domain>.action_link_hooks` (found by name).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.actionlinks.models import ActionLink
from tenantplane.actionlinks.schemas import SubjectRead
from tenantplane.identity.auth import Principal

# Describe the subject; with `require_open` (the third argument) a Conflict when it is no longer open.
Describe = Callable[[AsyncSession, ActionLink, bool], Awaitable[SubjectRead]]
# Decide as the principal with the comment; returns the subject's status after the decision.
Decide = Callable[[AsyncSession, Principal, ActionLink, str | None], Awaitable[str]]


@dataclass(frozen=True)
class SubjectKind:
    """How one kind of subject is shown on the confirmation page and decided (through its owner's own rules)."""

    describe: Describe
    decide: Decide


_KINDS: dict[str, SubjectKind] = {}
_loaded = False


def subject_kind(name: str, *, describe: Describe, decide: Decide) -> None:
    _KINDS[name] = SubjectKind(describe, decide)


def kind_of(name: str) -> SubjectKind:
    global _loaded
    if not _loaded:
        from tenantplane.models import domain_modules

        for module in domain_modules("action_link_hooks"):
            importlib.import_module(module)
        _loaded = True
    return _KINDS[name]
