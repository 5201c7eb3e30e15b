"""In-transaction callbacks between domains, keyed by a string (a record type, an origin type).

A domain that wants to hear about another's events registers in `tenantplane.<domain>.<module_name>`; those
modules are imported before the first dispatch, so API and worker processes see the same hooks.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
Hook = Callable[[AsyncSession, T], Awaitable[None]]


class HookRegistry(Generic[T]):
    def __init__(self, module_name: str) -> None:
        self.module_name = module_name
        self._hooks: dict[str, list[Hook[T]]] = {}
        self._loaded = False

    def on(self, key: str) -> Callable[[Hook[T]], Hook[T]]:
        """Decorator: run `fn(session, subject)` for events of `key`."""

        def register(fn: Hook[T]) -> Hook[T]:
            hooks = self._hooks.setdefault(key, [])
            if fn not in hooks:
                hooks.append(fn)
            return fn

        return register

    def has(self, key: str) -> bool:
        self._load()
        return bool(self._hooks.get(key))

    async def run(self, key: str, session: AsyncSession, subject: T) -> int:
        """Run the hooks registered for `key` in the caller's transaction; returns how many ran."""
        self._load()
        hooks = list(self._hooks.get(key, ()))
        for hook in hooks:
            await hook(session, subject)
        return len(hooks)

    def _load(self) -> None:
        if self._loaded:
            return
        from tenantplane.models import domain_modules

        for module in domain_modules(self.module_name):
            importlib.import_module(module)
        self._loaded = True
