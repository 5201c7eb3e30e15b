"""ITSM's reaction to a fulfillment execution finishing (or being retried), in the transaction that records it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.executions.hooks import on_execution_finished, on_execution_reopened
from tenantplane.executions.models import Execution
from tenantplane.itsm import fulfillment
from tenantplane.itsm.lifecycle import REQUEST
from tenantplane.itsm.models import ServiceRequest


async def _request_of(session: AsyncSession, execution: Execution) -> ServiceRequest | None:
    stmt = (
        select(ServiceRequest)
        .where(ServiceRequest.tenant_id == execution.tenant_id, ServiceRequest.id == execution.origin_id)
        .with_for_update()
    )
    request: ServiceRequest | None = await session.scalar(stmt)
    return request


@on_execution_finished(REQUEST)
async def fulfillment_finished(session: AsyncSession, execution: Execution) -> None:
    request = await _request_of(session, execution)
    if request is not None:
        await fulfillment.on_fulfillment_execution_finished(session, request, execution)


@on_execution_reopened(REQUEST)
async def fulfillment_retried(session: AsyncSession, execution: Execution) -> None:
    request = await _request_of(session, execution)
    if request is not None:
        await fulfillment.on_fulfillment_execution_retried(session, request, execution)
