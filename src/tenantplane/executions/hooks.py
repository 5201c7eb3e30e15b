"""What happens when an execution that something else started finishes: callbacks per origin type.

`@on_execution_finished("service_request")` runs IN the transaction that records the execution's final status,
so the origin (a request's fulfillment, a workflow step) moves on together with it, or not at all.
`@on_execution_reopened(...)` runs in the transaction of a retry that reopens a failed workflow execution. Modules
register in `tenantplane.<domain>.execution_hooks`, found by convention before the first dispatch.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.executions.models import Execution
from tenantplane.kit.hooks import Hook, HookRegistry

_FINISHED: HookRegistry[Execution] = HookRegistry("execution_hooks")
_REOPENED: HookRegistry[Execution] = HookRegistry("execution_hooks")


def on_execution_finished(origin_type: str) -> Callable[[Hook[Execution]], Hook[Execution]]:
    return _FINISHED.on(origin_type)


async def run_finished_hooks(session: AsyncSession, execution: Execution) -> int:
    """Run the hooks of the execution's origin type (none for executions people started directly)."""
    if execution.origin_type is None:
        return 0
    return await _FINISHED.run(execution.origin_type, session, execution)


def on_execution_reopened(origin_type: str) -> Callable[[Hook[Execution]], Hook[Execution]]:
    return _REOPENED.on(origin_type)


async def run_reopened_hooks(session: AsyncSession, execution: Execution) -> int:
    if execution.origin_type is None:
        return 0
    return await _REOPENED.run(execution.origin_type, session, execution)
