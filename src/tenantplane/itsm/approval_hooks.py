"""ITSM's reactions to finished approval instances, run in the transaction of the final decision."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.hooks import on_instance_finished
from tenantplane.approvals.models import ApprovalInstance
from tenantplane.itsm import fulfillment
from tenantplane.itsm.models import ChangeRequest, ServiceRequest


@on_instance_finished(fulfillment.REQUEST)
async def request_approval_finished(session: AsyncSession, instance: ApprovalInstance) -> None:
    request = await session.scalar(
        select(ServiceRequest)
        .where(ServiceRequest.tenant_id == instance.tenant_id, ServiceRequest.id == instance.record_id)
        .with_for_update()
    )
    if request is not None:
        await fulfillment.on_request_approval_finished(session, request, instance)


@on_instance_finished(fulfillment.CHANGE)
async def change_approval_finished(session: AsyncSession, instance: ApprovalInstance) -> None:
    change = await session.scalar(
        select(ChangeRequest)
        .where(ChangeRequest.tenant_id == instance.tenant_id, ChangeRequest.id == instance.record_id)
        .with_for_update()
    )
    if change is not None:
        await fulfillment.on_change_approval_finished(session, change, instance)
