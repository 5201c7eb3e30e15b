"""What ITSM tells automation: its records' events, fired into `itsm_event` triggers (ITSM calls down into it).

`itsm.request.approved` / `itsm.change.approved` fire from the `approvals.finished` job after the final decision
committed (registered in itsm/approval_hooks.py); `itsm.request.fulfilled` in the transaction that moves a request.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.automation.triggers.firing import on_itsm_event
from tenantplane.itsm.models import ChangeRequest, ServiceRequest


def request_subject(request: ServiceRequest) -> dict[str, Any]:
    """What a trigger's templates see of a request (`request.*`), and whose people caused the run."""
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


def change_subject(change: ChangeRequest) -> dict[str, Any]:
    return {
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


async def request_approved(session: AsyncSession, request: ServiceRequest) -> None:
    await on_itsm_event(
        session,
        tenant_id=request.tenant_id,
        event="itsm.request.approved",
        subject=request_subject(request),
        catalog_item_id=request.catalog_item_id,
    )


async def change_approved(session: AsyncSession, change: ChangeRequest) -> None:
    await on_itsm_event(
        session, tenant_id=change.tenant_id, event="itsm.change.approved", subject=change_subject(change)
    )


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
