"""Which SLA clocks of a request or change run when: started at submit, stopped or started by each status move.

Approval runs from submit to the decision, an approval step from its rung's opening to its decision, fulfilment
from approval to the end of the work, resolution from submit to the end; a cancel cancels what still runs. A failed
fulfilment keeps its clocks running (it waits for a retry).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.itsm.models import CHANGE_RECORD, REQUEST_RECORD, ChangeRequest, ServiceRequest
from tenantplane.sla import clocks, pausing, policies
from tenantplane.sla.business_time import WorkingCalendar
from tenantplane.sla.models import SlaPolicy
from tenantplane.sla.schemas import ClockRead

STEP = clocks.STEP_TARGET
AWAITING = "awaiting_requester"
AT_SUBMIT = ("approval", "resolution")
ALL = ("approval", STEP, "fulfilment", "resolution")
# status reached → (targets stopped, targets started); leaving the approval stops the clock of every rung still open
REQUEST_MOVES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "in_fulfillment": (("approval", STEP), ("fulfilment",)),
    "rejected": (("approval", STEP, "resolution"), ()),
    "fulfilled": (ALL, ()),
}
CHANGE_MOVES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "scheduled": (("approval", STEP), ("fulfilment",)),
    "rejected": (("approval", STEP, "resolution"), ()),
    "completed": (ALL, ()),
    "failed": (ALL, ()),
}

Record = ServiceRequest | ChangeRequest
ServiceLevel = tuple[SlaPolicy, WorkingCalendar | None]


def _type(record: Record) -> str:
    return REQUEST_RECORD if isinstance(record, ServiceRequest) else CHANGE_RECORD


def _item(record: Record) -> uuid.UUID | None:
    """The catalog item a record's clocks carry (for SLA compliance per item): a request's; a change has none."""
    return record.catalog_item_id if isinstance(record, ServiceRequest) else None


async def start_at_submit(
    session: AsyncSession, record: Record, at: datetime, service_level: ServiceLevel | None = None
) -> list[ClockRead]:
    """Start the approval and resolution clocks of a just-submitted record (nothing without a pinned policy); what
    they read as. `service_level`: the pinned policy and its calendar, when the caller has read them already."""
    if record.sla_policy_id is None:
        return []
    planned = await clocks.start_clocks(
        session,
        tenant_id=record.tenant_id,
        record_type=_type(record),
        catalog_item_id=_item(record),
        record_id=record.id,
        policy_id=record.sla_policy_id,
        targets=AT_SUBMIT,
        at=at,
        service_level=service_level,
    )
    return [clocks.planned_read(plan) for plan in planned]


async def record_moved(
    session: AsyncSession, record: Record, to: str, at: datetime, *, came_from: str | None = None
) -> None:
    """Stop and start the record's clocks for its move to `to` (from `came_from`), in the move's transaction. A
    request awaiting its requester pauses its fulfilment and resolution clocks when its policy says so; moving on
    resumes them."""
    if record.sla_policy_id is None:
        return
    if to == AWAITING:
        found = await policies.policy_with_calendar(session, record.tenant_id, record.sla_policy_id)
        if found is not None and found[0].pause_on_requester:
            ids = {"tenant_id": record.tenant_id, "record_id": record.id}
            await pausing.pause_clocks(session, **ids, targets=("fulfilment", "resolution"), at=at)
        return
    if came_from == AWAITING:
        await pausing.resume_clocks(session, tenant_id=record.tenant_id, record_id=record.id, at=at)
    if to == "cancelled":
        await clocks.stop_clocks(
            session, tenant_id=record.tenant_id, record_id=record.id, targets=ALL, at=at, cancel=True
        )
        return
    stopped, started = (REQUEST_MOVES if isinstance(record, ServiceRequest) else CHANGE_MOVES).get(to, ((), ()))
    await clocks.stop_clocks(session, tenant_id=record.tenant_id, record_id=record.id, targets=stopped, at=at)
    if started:
        await clocks.start_clocks(
            session,
            tenant_id=record.tenant_id,
            record_type=_type(record),
            catalog_item_id=_item(record),
            record_id=record.id,
            policy_id=record.sla_policy_id,
            targets=started,
            at=at,
        )


async def rung_moved(
    session: AsyncSession, record: Record, *, left: int | None, entered: int | None, at: datetime
) -> None:
    """One rung of the record's approval ladder was decided (`left`) and / or the next opened (`entered`): stop and
    start their `approval_step` clocks (those the pinned policy sets), in the decision's transaction."""
    if record.sla_policy_id is None:
        return
    if left is not None:
        await clocks.stop_clocks(
            session, tenant_id=record.tenant_id, record_id=record.id, targets=(STEP,), at=at, step=left
        )
    if entered is not None:
        await clocks.start_clocks(
            session,
            tenant_id=record.tenant_id,
            record_type=_type(record),
            catalog_item_id=_item(record),
            record_id=record.id,
            policy_id=record.sla_policy_id,
            targets=(),
            steps=(entered,),
            at=at,
        )


async def clock_reads(session: AsyncSession, records: Sequence[Record]) -> dict[uuid.UUID, list[ClockRead]]:
    """The SLA clocks each record shows (one query for them all), with the time left of those still running. Only
    records that pinned a policy can have clocks: without one among them, nothing is asked."""
    held = [r.id for r in records if r.sla_policy_id is not None]
    if not held:
        return {}
    found = await clocks.clocks_of(session, records[0].tenant_id, held)
    return {record_id: [clocks.clock_read(c) for c in rows] for record_id, rows in found.items()}
