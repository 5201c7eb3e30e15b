"""Who still uses a thing: a domain asks before it deletes or archives, the domains that use it answer.

The answers live with the users (`tenantplane.<domain>.uses` modules, loaded on first ask), so a low domain such as
secrets never imports the higher ones (runbooks) that refer to it.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.kit.errors import InUse


@dataclass(frozen=True)
class Use:
    """One live thing that refers to the subject: its type (`runbook`, `catalog_item`, `workflow`...), id and name."""

    type: str
    id: str
    name: str

    def as_dict(self) -> dict[str, str]:
        return {"type": self.type, "id": self.id, "name": self.name}


Finder = Callable[[AsyncSession, uuid.UUID, str], Awaitable[list[Use]]]
_FINDERS: dict[str, list[Finder]] = {}
_loaded = False


def answers(subject: str) -> Callable[[Finder], Finder]:
    """Decorator: `fn(session, tenant_id, key)` lists the live uses of the subject `key` (an id or a name)."""

    def register(fn: Finder) -> Finder:
        finders = _FINDERS.setdefault(subject, [])
        if fn not in finders:
            finders.append(fn)
        return fn

    return register


async def uses_of(session: AsyncSession, subject: str, tenant_id: uuid.UUID, key: str) -> list[Use]:
    """Every live use of the subject in the tenant, sorted by type and name."""
    global _loaded
    if not _loaded:
        from tenantplane.models import domain_modules

        for module in domain_modules("uses"):
            importlib.import_module(module)
        _loaded = True
    found = [use for finder in _FINDERS.get(subject, ()) for use in await finder(session, tenant_id, key)]
    return sorted(set(found), key=lambda u: (u.type, u.name, u.id))


async def archivable(
    session: AsyncSession, subject: str, tenant_id: uuid.UUID, key: str, *, what: str, force: bool
) -> list[Use]:
    """The live uses of what is about to be archived; any use refuses it (409 `used_by`) unless `force`.

    A refusal names every user at once, so an admin fixes them in one pass instead of one 409 at a time.
    """
    found = await uses_of(session, subject, tenant_id, key)
    if found and not force:
        listed = ", ".join(f"{use.type.replace('_', ' ')} '{use.name}'" for use in found)
        raise InUse(
            f"{what} is still used by {listed}; point them elsewhere first, or archive anyway with ?force=true.",
            used_by=[use.as_dict() for use in found],
        )
    return found
