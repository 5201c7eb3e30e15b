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
class CancelRequest:
    """Someone asked to cancel an execution of a kind that cancels its own way; its hook sets `cancelled`."""

    actor: Principal
    execution: Execution
    cancelled: Execution | None = None


_CANCEL: HookRegistry[CancelRequest] = HookRegistry("execution_hooks")


def on_cancel_requested(kind: str) -> Callable[[Hook[CancelRequest]], Hook[CancelRequest]]:
    """Register how executions of `kind` are cancelled (a workflow: through its engine), instead of the default."""
    return _CANCEL.on(kind)


async def run_cancel_hooks(session: AsyncSession, actor: Principal, execution: Execution) -> Execution | None:
    """The execution as its kind's hook cancelled it, or None when its kind has none (the default applies)."""
    request = CancelRequest(actor, execution)
    if await _CANCEL.run(execution.kind, session, request):
        return request.cancelled
    return None


@dataclass
class RetryRequest:
    """Someone asked to retry an execution; the hook of its kind (if it has one) sets `retried`."""

    actor: Principal
    execution: Execution
    retried: Execution | None = None


_RETRY: HookRegistry[RetryRequest] = HookRegistry("execution_hooks")


def on_retry_requested(kind: str) -> Callable[[Hook[RetryRequest]], Hook[RetryRequest]]:
    """Register how executions of `kind` are retried (a workflow: from its failed steps, through its engine)."""
    return _RETRY.on(kind)


async def run_retry_hooks(session: AsyncSession, actor: Principal, execution: Execution) -> Execution | None:
    """The execution as its kind's hook retried it, or None when its kind cannot be retried."""
    request = RetryRequest(actor, execution)
    if await _RETRY.run(execution.kind, session, request):
        return request.retried
    return None
