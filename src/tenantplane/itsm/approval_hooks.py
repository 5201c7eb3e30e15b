"""ITSM's reactions to finished approval instances (in the final decision's transaction, and after it committed:
`itsm_event` triggers), to each rung decided or opened (approval-step SLA clocks), and what approvers see of a request
when they read its instance: its pinned fulfillment."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.hooks import (
    RecordFacts,
    RungMoved,
    after_instance_finished,
    on_instance_finished,
    on_instances_read,
    on_rung_moved,
)
from tenantplane.approvals.models import ApprovalInstance
from tenantplane.itsm import approval, events, pinning, service_levels
from tenantplane.itsm.lifecycle import CHANGE, REQUEST
from tenantplane.itsm.models import ChangeRequest, ServiceRequest

Record = TypeVar("Record", ServiceRequest, ChangeRequest)


async def _record(
    session: AsyncSession, model: type[Record], instance: ApprovalInstance, *, lock: bool = False
) -> Record | None:
    """The request or change an approval instance decides, in the instance's tenant (locked with `lock`)."""
    stmt = select(model).where(model.tenant_id == instance.tenant_id, model.id == instance.record_id)
    found: Record | None = await session.scalar(stmt.with_for_update() if lock else stmt)
    return found


@on_instance_finished(REQUEST)
async def request_approval_finished(session: AsyncSession, instance: ApprovalInstance) -> None:
    if (request := await _record(session, ServiceRequest, instance, lock=True)) is not None:
        await approval.on_request_approval_finished(session, request, instance)


@on_instance_finished(CHANGE)
async def change_approval_finished(session: AsyncSession, instance: ApprovalInstance) -> None:
    if (change := await _record(session, ChangeRequest, instance, lock=True)) is not None:
        await approval.on_change_approval_finished(session, change, instance)


@on_instances_read(REQUEST)
async def request_fulfillments(session: AsyncSession, facts: RecordFacts) -> None:
    stmt = select(ServiceRequest).where(
        ServiceRequest.tenant_id == facts.tenant_id, ServiceRequest.id.in_(facts.record_ids)
    )
    rows = await session.scalars(stmt)
    for request in rows:
        if (read := pinning.fulfillment_read(request)) is not None:
            facts.fulfillment[request.id] = read


@after_instance_finished(REQUEST)
async def request_approved(session: AsyncSession, instance: ApprovalInstance) -> None:
    """After the final decision committed: an approved request fires its `itsm.request.approved` triggers."""
    if instance.status == "approved" and (request := await _record(session, ServiceRequest, instance)) is not None:
        await events.request_approved(session, request)


@after_instance_finished(CHANGE)
async def change_approved(session: AsyncSession, instance: ApprovalInstance) -> None:
    if instance.status == "approved" and (change := await _record(session, ChangeRequest, instance)) is not None:
        await events.change_approved(session, change)


@on_rung_moved(REQUEST)
async def request_rung_moved(session: AsyncSession, moved: RungMoved) -> None:
    """A rung of a request's ladder was decided or opened: its approval-step SLA clocks stop and start."""
    if (request := await _record(session, ServiceRequest, moved.instance)) is not None:
        await service_levels.rung_moved(session, request, left=moved.left, entered=moved.entered, at=moved.at)


@on_rung_moved(CHANGE)
async def change_rung_moved(session: AsyncSession, moved: RungMoved) -> None:
    if (change := await _record(session, ChangeRequest, moved.instance)) is not None:
        await service_levels.rung_moved(session, change, left=moved.left, entered=moved.entered, at=moved.at)
