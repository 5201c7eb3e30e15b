"""ITSM's answer when an SLA clock of a request or change warns or breaches: a timeline entry, and who is told.

Told are the catalog item's fulfiller group (for requests) and the tenant's admins; notifications, audit: `sla.timers`.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.approvers import tenant_admins
from tenantplane.identity.models import GroupMembership
from tenantplane.itsm import lifecycle
from tenantplane.itsm.models import CatalogItem, ChangeRequest, ServiceRequest
from tenantplane.sla.hooks import ClockFired, on_clock_fired
from tenantplane.sla.models import SlaClock

WORDS = {"approval": "approval", "fulfilment": "fulfilment", "resolution": "resolution"}


def _target(clock: SlaClock) -> str:
    return f"approval step {clock.step + 1}" if clock.target == "approval_step" else WORDS[clock.target]


def _what(fired: ClockFired, number: str) -> str:
    clock = fired.clock
    if fired.moment == "warning":
        return f"{number}: {_target(clock)} target due {clock.due_at:%Y-%m-%d %H:%M} UTC is close"
    return f"{number}: {_target(clock)} target breached (was due {clock.due_at:%Y-%m-%d %H:%M} UTC)"


async def _tell(session: AsyncSession, fired: ClockFired, record: ServiceRequest | ChangeRequest) -> None:
    fired.subject = _what(fired, record.number)
    kind = "sla_warning" if fired.moment == "warning" else "sla_breached"
    data = {"target": fired.clock.target, "step": fired.clock.step, "due_at": fired.clock.due_at.isoformat()}
    await lifecycle.note(session, record, kind, fired.subject, data=data)
    fired.recipients |= {uuid.UUID(admin) for admin in await tenant_admins(session, record.tenant_id)}


@on_clock_fired(lifecycle.REQUEST)
async def request_clock_fired(session: AsyncSession, fired: ClockFired) -> None:
    clock = fired.clock
    stmt = select(ServiceRequest, CatalogItem.fulfillment_group_id).join(
        CatalogItem, (CatalogItem.id == ServiceRequest.catalog_item_id) & (CatalogItem.tenant_id == clock.tenant_id)
    )
    row = (
        await session.execute(
            stmt.where(ServiceRequest.tenant_id == clock.tenant_id, ServiceRequest.id == clock.record_id)
        )
    ).one_or_none()
    if row is None:
        return
    request, group_id = row[0], row[1]
    fired.link = f"/portal/requests/{request.id}"
    if group_id is not None:
        members = select(GroupMembership.user_id).where(
            GroupMembership.tenant_id == clock.tenant_id, GroupMembership.group_id == group_id
        )
        fired.recipients |= set((await session.scalars(members)).all())
    await _tell(session, fired, request)


@on_clock_fired(lifecycle.CHANGE)
async def change_clock_fired(session: AsyncSession, fired: ClockFired) -> None:
    clock = fired.clock
    change = await session.scalar(
        select(ChangeRequest).where(ChangeRequest.tenant_id == clock.tenant_id, ChangeRequest.id == clock.record_id)
    )
    if change is not None:
        fired.link = f"/itsm/changes/{change.id}"
        await _tell(session, fired, change)
