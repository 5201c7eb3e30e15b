"""What happens to a record when its approval instance finishes: callbacks registered per record type.

Modules register in `tenantplane.<domain>.approval_hooks` (imported by convention before the first dispatch).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.models import ApprovalInstance
from tenantplane.approvals.schemas import FulfillmentRead
from tenantplane.kit.hooks import Hook, HookRegistry

InstanceHook = Hook[ApprovalInstance]
_IN_TRANSACTION: HookRegistry[ApprovalInstance] = HookRegistry("approval_hooks")
_AFTER_COMMIT: HookRegistry[ApprovalInstance] = HookRegistry("approval_hooks")


def on_instance_finished(record_type: str) -> Callable[[InstanceHook], InstanceHook]:
    """Register `fn(session, instance)` to run in the final decision's transaction for this record type."""
    return _IN_TRANSACTION.on(record_type)


def after_instance_finished(record_type: str) -> Callable[[InstanceHook], InstanceHook]:
    """Register `fn(session, instance)` to run from the `approvals.finished` job after the decision committed."""
    return _AFTER_COMMIT.on(record_type)


async def run_finished_hooks(session: AsyncSession, instance: ApprovalInstance) -> int:
    """Run the in-transaction hooks of the instance's record type; returns how many ran."""
    return await _IN_TRANSACTION.run(instance.record_type, session, instance)


async def run_after_finished_hooks(session: AsyncSession, instance: ApprovalInstance) -> int:
    return await _AFTER_COMMIT.run(instance.record_type, session, instance)


def has_finished_hooks(record_type: str) -> bool:
    """Whether a module owns this record type (its instances then start only from that module's own code)."""
    return _IN_TRANSACTION.has(record_type) or _AFTER_COMMIT.has(record_type)


@dataclass
class RecordFacts:
    """What an approver sees of the records behind some instances, filled in by the module owning their type."""

    tenant_id: uuid.UUID
    record_ids: list[uuid.UUID]
    fulfillment: dict[uuid.UUID, FulfillmentRead] = field(default_factory=dict)


_READ: HookRegistry[RecordFacts] = HookRegistry("approval_hooks")


def on_instances_read(record_type: str) -> Callable[[Hook[RecordFacts]], Hook[RecordFacts]]:
    """Register `fn(session, facts)` that fills `facts` for records of this type when instances are read."""
    return _READ.on(record_type)


async def facts_of(
    session: AsyncSession, tenant_id: uuid.UUID, instances: Sequence[ApprovalInstance]
) -> dict[uuid.UUID, FulfillmentRead]:
    """The fulfillment each instance's record will run (by record id), for the record types that have one."""
    by_type: dict[str, list[uuid.UUID]] = {}
    for instance in instances:
        by_type.setdefault(instance.record_type, []).append(instance.record_id)
    found: dict[uuid.UUID, FulfillmentRead] = {}
    for record_type, record_ids in by_type.items():
        facts = RecordFacts(tenant_id, record_ids)
        await _READ.run(record_type, session, facts)
        found |= facts.fulfillment
    return found


@dataclass(frozen=True)
class RungMoved:
    """The instance's current rung of the ladder changed, in the transaction that changed it: `left` was decided
    (or skipped, or the instance finished), `entered` opened. Rungs count from 0 over the distinct step orders."""

    instance: ApprovalInstance
    left: int | None
    entered: int | None
    at: datetime


_RUNG: HookRegistry[RungMoved] = HookRegistry("approval_hooks")


def on_rung_moved(record_type: str) -> Callable[[Hook[RungMoved]], Hook[RungMoved]]:
    """Register `fn(session, moved)` to run when an instance of this record type leaves or enters a rung."""
    return _RUNG.on(record_type)


def rung_moved(instance: ApprovalInstance, before: int | None, at: datetime) -> RungMoved | None:
    """What changed between the current order `before` and the instance's now (None when nothing did)."""
    ladder = sorted({int(step["order"]) for step in instance.state.get("steps", [])})
    after, pending = instance.current_step, instance.status == "pending"
    left = ladder.index(before) if before in ladder and (before != after or not pending) else None
    entered = ladder.index(after) if after in ladder and pending and after != before else None
    return None if left is None and entered is None else RungMoved(instance, left, entered, at)


async def run_rung_hooks(session: AsyncSession, moved: RungMoved | None) -> int:
    return 0 if moved is None else await _RUNG.run(moved.instance.record_type, session, moved)
