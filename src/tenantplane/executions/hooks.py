"""What happens when an execution that something else started finishes: callbacks per origin type.

`@on_execution_finished("service_request")` runs IN the transaction that records the execution's final status,
so the origin (a request's fulfillment, a workflow step) moves on together with it, or not at all. Modules
register in `tenantplane.<domain>.execution_hooks`, found by convention before the first dispatch.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.executions.models import Execution

ExecutionHook = Callable[[AsyncSession, Execution], Awaitable[None]]

_HOOKS: dict[str, list[ExecutionHook]] = {}
_loaded = False


def on_execution_finished(origin_type: str) -> Callable[[ExecutionHook], ExecutionHook]:
    def register(fn: ExecutionHook) -> ExecutionHook:
        hooks = _HOOKS.setdefault(origin_type, [])
        if fn not in hooks:
            hooks.append(fn)
        return fn

    return register


def _load_hook_modules() -> None:
    global _loaded
    if _loaded:
        return
    from tenantplane.models import domain_modules

    for module in domain_modules("execution_hooks"):
        importlib.import_module(module)
    _loaded = True


async def run_finished_hooks(session: AsyncSession, execution: Execution) -> int:
    """Run the hooks of the execution's origin type (none for executions people started directly)."""
    if execution.origin_type is None:
        return 0
    _load_hook_modules()
    hooks = list(_HOOKS.get(execution.origin_type, ()))
    for hook in hooks:
        await hook(session, execution)
    return len(hooks)
