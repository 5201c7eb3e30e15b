"""What happens when an execution that something else started finishes: callbacks per origin type.

`@on_execution_finished("service_request")` runs IN the transaction that records the execution's final status,
so the origin (a request's fulfillment, a workflow step) moves on together with it, or not at all.
`@on_execution_reopened(...)` runs in the transaction of a retry that reopens a failed workflow execution. Modules
register in `tenantplane.<domain>.execution_hooks`, found by convention before the first dispatch.
`@on_cancel_requested(kind)` cancels executions of a kind that has its own way (workflows: their engine), and
`@on_retry_requested(kind)` retries those of a kind that can be retried (workflows: from their failed steps).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.executions.models import Execution
from tenantplane.identity.auth import Principal
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


@dataclass
class KindRequest:
    """Someone asked to cancel or retry an execution of a kind that does it its own way; its hook sets `result`."""

    actor: Principal
    execution: Execution
    result: Execution | None = None


_CANCEL: HookRegistry[KindRequest] = HookRegistry("execution_hooks")
_RETRY: HookRegistry[KindRequest] = HookRegistry("execution_hooks")


def on_cancel_requested(kind: str) -> Callable[[Hook[KindRequest]], Hook[KindRequest]]:
    """Register how executions of `kind` are cancelled (a workflow: through its engine), instead of the default."""
    return _CANCEL.on(kind)


def on_retry_requested(kind: str) -> Callable[[Hook[KindRequest]], Hook[KindRequest]]:
    """Register how executions of `kind` are retried (a workflow: from its failed steps, through its engine)."""
    return _RETRY.on(kind)


async def _run_kind_hook(
    registry: HookRegistry[KindRequest], session: AsyncSession, actor: Principal, execution: Execution
) -> Execution | None:
    request = KindRequest(actor, execution)
    return request.result if await registry.run(execution.kind, session, request) else None


async def run_cancel_hooks(session: AsyncSession, actor: Principal, execution: Execution) -> Execution | None:
    """The execution as its kind's hook cancelled it, or None when its kind has none (the default applies)."""
    return await _run_kind_hook(_CANCEL, session, actor, execution)


async def run_retry_hooks(session: AsyncSession, actor: Principal, execution: Execution) -> Execution | None:
    """The execution as its kind's hook retried it, or None when its kind cannot be retried."""
    return await _run_kind_hook(_RETRY, session, actor, execution)
