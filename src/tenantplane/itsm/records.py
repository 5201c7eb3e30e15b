"""Shared plumbing of ITSM records: human numbers per tenant and the timeline of each record.

Numbers come from a per-tenant counter row locked by the UPDATE, so concurrent submits never collide.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.itsm.models import RecordEvent

_NEXT = text(
    """
    INSERT INTO tenant_counters (tenant_id, name, value) VALUES (:tenant_id, :name, 1)
    ON CONFLICT (tenant_id, name) DO UPDATE SET value = tenant_counters.value + 1
    RETURNING value
    """
)


async def next_number(session: AsyncSession, tenant_id: uuid.UUID, prefix: str) -> str:
    """The next human number, e.g. REQ0001234 (seven digits, growing past them if ever needed)."""
    value = (await session.execute(_NEXT, {"tenant_id": tenant_id, "name": prefix})).scalar_one()
    return f"{prefix}{value:07d}"


async def add_event(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    record_type: str,
    record_id: uuid.UUID,
    kind: str,
    actor_id: uuid.UUID | None,
    message: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    session.add(
        RecordEvent(
            tenant_id=tenant_id,
            record_type=record_type,
            record_id=record_id,
            kind=kind,
            actor_id=actor_id,
            message=message,
            data=data or {},
        )
    )
    await session.flush()


async def timeline(session: AsyncSession, tenant_id: uuid.UUID, record_id: uuid.UUID) -> Sequence[RecordEvent]:
    stmt = (
        select(RecordEvent)
        .where(RecordEvent.tenant_id == tenant_id, RecordEvent.record_id == record_id)
        .order_by(RecordEvent.created_at, RecordEvent.id)
    )
    return (await session.scalars(stmt)).all()
