"""ITSM's reaction to a fulfillment execution finishing, run in the transaction that records its end."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.executions.hooks import on_execution_finished
from tenantplane.executions.models import Execution
from tenantplane.itsm import fulfillment
from tenantplane.itsm.models import ServiceRequest


@on_execution_finished(fulfillment.REQUEST)
async def fulfillment_finished(session: AsyncSession, execution: Execution) -> None:
    request = await session.scalar(
        select(ServiceRequest)
        .where(ServiceRequest.tenant_id == execution.tenant_id, ServiceRequest.id == execution.origin_id)
        .with_for_update()
    )
    if request is not None:
        await fulfillment.on_fulfillment_execution_finished(session, request, execution)
