"""The status machines of ITSM records: the one place a request's or change's status changes.

Each move is checked against the allowed transitions (409 otherwise), stamped on the timeline, and the
requester is told about request changes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.itsm import events, records, service_levels
from tenantplane.itsm.models import CHANGE_RECORD, REQUEST_RECORD, ChangeRequest, ServiceRequest
from tenantplane.kit.errors import Conflict
from tenantplane.notifications.service import notify_users

REQUEST = REQUEST_RECORD
CHANGE = CHANGE_RECORD
REQUEST_MOVES = {
    "pending_approval": {"rejected", "cancelled", "in_fulfillment"},
    "in_fulfillment": {"fulfilled", "fulfillment_failed", "cancelled", "awaiting_requester"},
    "awaiting_requester": {"in_fulfillment", "cancelled"},  # the requester answered, or a fulfiller resumed it
    "fulfillment_failed": {"in_fulfillment"},  # its runbook or workflow fulfillment was retried
}
REQUEST_FINAL = {"rejected", "cancelled", "fulfilled", "fulfillment_failed"}
CHANGE_MOVES = {
    "pending_approval": {"scheduled", "rejected", "cancelled"},
    "scheduled": {"implementing", "cancelled"},
    "implementing": {"completed", "failed"},
}
CHANGE_FINAL = {"completed", "failed", "rejected", "cancelled"}


async def _move(
    session: AsyncSession,
    record: ServiceRequest | ChangeRequest,
    to: str,
    *,
    actor_id: uuid.UUID | None,
    message: str,
    data: dict[str, Any] | None,
) -> None:
    request = isinstance(record, ServiceRequest)
    moves, final = (REQUEST_MOVES, REQUEST_FINAL) if request else (CHANGE_MOVES, CHANGE_FINAL)
    if to not in moves.get(record.status, set()):
        noun = "request" if request else "change"
        raise Conflict(f"A {noun} that is {record.status} cannot become {to}.")
    previous, record.status = record.status, to
    now = datetime.now(UTC)
    record.closed_at = now if to in final else None
    await session.flush()
    await service_levels.record_moved(session, record, to, now, came_from=previous)
    await note(session, record, to, message, actor_id=actor_id, data={"from": previous, **(data or {})})


async def move_request(
    session: AsyncSession,
    request: ServiceRequest,
    to: str,
    *,
    actor_id: uuid.UUID | None,
    message: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    """Move a request to `to` (409 if not allowed), stamp its timeline and tell its requester."""
    await _move(session, request, to, actor_id=actor_id, message=message, data=data)
    await notify_requester(session, request, message or f"{request.number} is now {to}")
    await events.request_moved(session, request)


async def move_change(
    session: AsyncSession, change: ChangeRequest, to: str, *, actor_id: uuid.UUID | None, message: str = ""
) -> None:
    await _move(session, change, to, actor_id=actor_id, message=message, data=None)


async def note(
    session: AsyncSession,
    record: ServiceRequest | ChangeRequest,
    kind: str,
    message: str,
    *,
    actor_id: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """An entry on the record's timeline; without `actor_id` a system one (no status change, nobody told)."""
    await records.add_event(
        session,
        tenant_id=record.tenant_id,
        record_type=REQUEST if isinstance(record, ServiceRequest) else CHANGE,
        record_id=record.id,
        kind=kind,
        actor_id=actor_id,
        message=message,
        data=data,
    )


async def notify_requester(session: AsyncSession, request: ServiceRequest, message: str) -> None:
    """Tell the requester (and the person it is for) what changed: in-app, and e-mail when the tenant has a
    default e-mail channel."""

    await notify_users(
        session,
        tenant_id=request.tenant_id,
        user_ids=sorted({request.requester_id, request.requested_for_id}),
        subject=f"{request.number}: {request.status.replace('_', ' ')}",
        body=message,
        link=f"/portal/requests/{request.id}",
    )
