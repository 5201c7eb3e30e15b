"""Record and read audit events; recording happens in the caller's transaction.

Summaries drop secret-bearing keys so the append-only log never holds a password or token.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.models import AuditEvent
from tenantplane.kit.actors import Actor
from tenantplane.kit.observability import request_id_var
from tenantplane.kit.pagination import paginate

_SECRET_KEYS = ("password", "secret", "token", "value", "api_key", "apikey", "private")


def redact(summary: Any) -> Any:
    """Drop anything that looks like a secret from a summary, recursively."""
    if isinstance(summary, dict):
        return {
            k: ("[redacted]" if any(s in k.lower() for s in _SECRET_KEYS) else redact(v)) for k, v in summary.items()
        }
    if isinstance(summary, list):
        return [redact(v) for v in summary]
    if isinstance(summary, uuid.UUID | datetime):
        return str(summary)
    return summary


def event_values(
    *,
    actor: Actor | None,
    action: str,
    object_type: str,
    object_id: uuid.UUID | str | None,
    tenant_id: uuid.UUID | None = None,
    summary: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The columns of one audit event (`actor=None` means the system itself), for the ORM or a bulk statement."""
    return {
        "tenant_id": tenant_id if tenant_id is not None else (actor.tenant_id if actor else None),
        "actor_type": actor.kind if actor else "system",
        "actor_id": actor.id if actor else None,
        "actor_label": actor.label if actor else "system",
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id) if object_id is not None else None,
        "summary": redact(summary or {}),
        "request_id": request_id_var.get(),
    }


async def record_event(
    session: AsyncSession,
    *,
    actor: Actor | None,
    action: str,
    object_type: str,
    object_id: uuid.UUID | str | None,
    tenant_id: uuid.UUID | None = None,
    summary: dict[str, Any] | None = None,
    flush: bool = True,
) -> AuditEvent:
    """Append one audit event to the current transaction (`actor=None` means the system itself).

    `flush=False` leaves its INSERT to the next flush (a run of inline steps inserts its rows together at its end)."""
    values = event_values(
        actor=actor, action=action, object_type=object_type, object_id=object_id, tenant_id=tenant_id, summary=summary
    )
    event = AuditEvent(**values)
    session.add(event)
    if flush:
        await session.flush()
    return event


async def list_events(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    action: str | None,
    object_type: str | None,
    object_id: str | None,
    actor_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[AuditEvent], str | None]:
    stmt = select(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEvent.object_id == object_id)
    if actor_id:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    if since:
        stmt = stmt.where(AuditEvent.created_at >= since)
    if until:
        stmt = stmt.where(AuditEvent.created_at < until)
    return await paginate(
        session, stmt, created_col=AuditEvent.created_at, id_col=AuditEvent.id, cursor=cursor, limit=limit
    )
