"""ITSM events that start workflows through `itsm_event` triggers.

`itsm.request.approved` / `itsm.change.approved` fire from the `approvals.finished` job after the final
decision committed; `itsm.request.fulfilled` fires in the transaction that moves a request to fulfilled.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.hooks import after_instance_finished
from tenantplane.approvals.models import ApprovalInstance
from tenantplane.automation.triggers import on_itsm_event
from tenantplane.itsm.models import ChangeRequest, ServiceRequest


def request_subject(request: ServiceRequest) -> dict[str, Any]:
    return {
        "request": {
            "id": str(request.id),
            "number": request.number,
            "catalog_item_id": str(request.catalog_item_id),
            "requester_id": str(request.requester_id),
            "requested_for_id": str(request.requested_for_id),
            "variables": dict(request.variables or {}),
            "justification": request.justification,
            "status": request.status,
        }
    }


@after_instance_finished("service_request")
async def request_approved(session: AsyncSession, instance: ApprovalInstance) -> None:
    if instance.status != "approved":
        return
    request = await session.scalar(
        select(ServiceRequest).where(
            ServiceRequest.tenant_id == instance.tenant_id, ServiceRequest.id == instance.record_id
        )
    )
    if request is not None:
        await on_itsm_event(
            session,
            tenant_id=request.tenant_id,
            event="itsm.request.approved",
            subject=request_subject(request),
            catalog_item_id=request.catalog_item_id,
        )


@after_instance_finished("change_request")
async def change_approved(session: AsyncSession, instance: ApprovalInstance) -> None:
    if instance.status != "approved":
        return
    change = await session.scalar(
        select(ChangeRequest).where(
            ChangeRequest.tenant_id == instance.tenant_id, ChangeRequest.id == instance.record_id
        )
    )
    if change is not None:
        subject = {
            "change": {
                "id": str(change.id),
                "number": change.number,
                "title": change.title,
                "type": change.type,
                "risk": change.risk,
                "impact": change.impact,
                "requester_id": str(change.requester_id),
                "status": change.status,
            }
        }
        await on_itsm_event(session, tenant_id=change.tenant_id, event="itsm.change.approved", subject=subject)


async def request_moved(session: AsyncSession, request: ServiceRequest) -> None:
    """Called by the request status machine after every move; fires `itsm.request.fulfilled` triggers."""
    if request.status == "fulfilled":
        await on_itsm_event(
            session,
            tenant_id=request.tenant_id,
            event="itsm.request.fulfilled",
            subject=request_subject(request),
            catalog_item_id=request.catalog_item_id,
        )
