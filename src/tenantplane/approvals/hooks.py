"""What happens to a record when its approval instance finishes: callbacks registered per record type.

Modules register in `tenantplane.<domain>.approval_hooks` (imported by convention before the first dispatch).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.models import ApprovalInstance

InstanceHook = Callable[[AsyncSession, ApprovalInstance], Awaitable[None]]

_IN_TRANSACTION: dict[str, list[InstanceHook]] = {}
_AFTER_COMMIT: dict[str, list[InstanceHook]] = {}
_loaded = False


def on_instance_finished(record_type: str) -> Callable[[InstanceHook], InstanceHook]:
    """Register `fn(session, instance)` to run IN the transaction of the final decision, timeout or cancel.

    The record changes together with the instance, or not at all (a raising hook rolls the decision back).
    Use it for record updates; write no audit event (the decision wrote one) and call no slow outside system.
    It also runs inside `start_workflow_instance` when every step is skipped at once, so create (and flush)
    the record first. `instance.status` is approved, rejected or cancelled.
    """

    def register(fn: InstanceHook) -> InstanceHook:
        hooks = _IN_TRANSACTION.setdefault(record_type, [])
        if fn not in hooks:
            hooks.append(fn)
        return fn

    return register


def after_instance_finished(record_type: str) -> Callable[[InstanceHook], InstanceHook]:
    """Register `fn(session, instance)` to run later from the `approvals.finished` job, in the job's transaction.

    For work that must not hold up or roll back the decision (automation triggers, webhooks); retried with the
    job. Do not also register a job handler for `approvals.finished`: this module owns that kind.
    """

    def register(fn: InstanceHook) -> InstanceHook:
        hooks = _AFTER_COMMIT.setdefault(record_type, [])
        if fn not in hooks:
            hooks.append(fn)
        return fn

    return register


def _load_hook_modules() -> None:
    global _loaded
    if _loaded:
        return
    from tenantplane.models import domain_modules

    for module in domain_modules("approval_hooks"):
        importlib.import_module(module)
    _loaded = True


async def run_finished_hooks(session: AsyncSession, instance: ApprovalInstance) -> int:
    """Run the in-transaction hooks of the instance's record type; returns how many ran."""
    _load_hook_modules()
    hooks = list(_IN_TRANSACTION.get(instance.record_type, ()))
    for hook in hooks:
        await hook(session, instance)
    return len(hooks)


async def run_after_finished_hooks(session: AsyncSession, instance: ApprovalInstance) -> int:
    _load_hook_modules()
    hooks = list(_AFTER_COMMIT.get(instance.record_type, ()))
    for hook in hooks:
        await hook(session, instance)
    return len(hooks)


def has_finished_hooks(record_type: str) -> bool:
    """Whether a module owns this record type (its instances then start only from that module's own code)."""
    _load_hook_modules()
    return bool(_IN_TRANSACTION.get(record_type) or _AFTER_COMMIT.get(record_type))
