"""Shared plumbing of ITSM records: human numbers per tenant and the timeline of each record.

Numbers come from a per-tenant counter row incremented in its own short transaction (on a pool of its own),
like a sequence.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, event, select, text
from sqlalchemy.exc import DBAPIError, MissingGreenlet
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from tenantplane.approvals.models import ApprovalEvent
from tenantplane.identity.models import User
from tenantplane.itsm.models import RecordEvent

# Committed without waiting for the WAL flush (synchronous_commit off for this one transaction), so the counter
# row is locked for the statement only, not for a disk flush. No number is ever handed out twice: a request
# commits durably after its number was drawn, and that flush covers the earlier counter commit; a crash before it
# loses both, and the number is drawn again.
_NEXT = text(
    """
    INSERT INTO tenant_counters (tenant_id, name, value)
    SELECT :tenant_id, :name, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS asynchronous
    ON CONFLICT (tenant_id, name) DO UPDATE SET value = tenant_counters.value + 1
    RETURNING value
    """
)


_NUMBERING: dict[Engine, AsyncEngine] = {}


def _numbering_engine(engine: AsyncEngine) -> AsyncEngine:
    """A small pool of its own for drawing numbers, next to the process's pool.

    A submit draws its number while its unit of work holds a connection of the main pool; were the number drawn
    from that pool too, a burst of submits holding every connection would each wait for one more (until the pool's
    timeout). A connection of this pool is held for one statement and waits for nothing but the counter row, so it
    cannot deadlock. It is disposed with the main engine.

    No overflow: a pool returns an overflow connection by closing it, so under a burst of submits most draws paid
    a new PostgreSQL connection (its backend start and cold caches, several times the statement). Connections are
    opened as needed up to `pool_size` and kept; a draw beyond them waits for one (a statement away).
    """
    numbering = _NUMBERING.get(engine.sync_engine)
    if numbering is None:
        numbering = create_async_engine(
            engine.url, pool_size=8, max_overflow=0, pool_recycle=3600, isolation_level="AUTOCOMMIT"
        )
        _NUMBERING[engine.sync_engine] = numbering
        event.listen(engine.sync_engine, "engine_disposed", _dispose_numbering, once=True)
    return numbering


def _dispose_numbering(engine: Engine) -> None:
    numbering = _NUMBERING.pop(engine, None)
    if numbering is None:
        return
    try:
        numbering.sync_engine.dispose()  # within AsyncEngine.dispose (a greenlet): closes its connections
    except MissingGreenlet:  # a synchronous dispose (e.g. after a fork): drop the pool, leave the sockets alone
        numbering.sync_engine.dispose(close=False)


async def next_number(session: AsyncSession, tenant_id: uuid.UUID, prefix: str) -> str:
    """The next human number, e.g. REQ0001234 (seven digits, growing past them if ever needed).

    Drawn in a short transaction of its own, like a sequence: holding the counter row locked until the
    submitting request commits would make every submit in a tenant wait for the one before it. The price is
    that a submit which then fails leaves a gap in the numbers. One statement in autocommit (no BEGIN or COMMIT
    round trip), on a connection of the numbering pool; a connection found dead is replaced once (no ping first).
    """
    engine = session.bind
    assert isinstance(engine, AsyncEngine)
    numbering = _numbering_engine(engine)
    for attempt in (1, 2):
        try:
            async with numbering.connect() as conn:
                value = (await conn.execute(_NEXT, {"tenant_id": tenant_id, "name": prefix})).scalar_one()
            return f"{prefix}{value:07d}"
        except DBAPIError as exc:
            if attempt == 2 or not exc.connection_invalidated:
                raise
    raise AssertionError("unreachable")


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


async def people(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    events: Sequence[RecordEvent],
    approval_instance_id: uuid.UUID | None,
    *also: uuid.UUID | None,
) -> dict[uuid.UUID, str]:
    """Display names of who acted on a record (its timeline, its approval's deciders, and `also`): a requester
    who may not list users still sees who approved, not an id."""
    ids = {e.actor_id for e in events if e.actor_id} | {i for i in also if i}
    if approval_instance_id is not None:
        deciders = select(ApprovalEvent.actor_id).where(
            ApprovalEvent.tenant_id == tenant_id,
            ApprovalEvent.instance_id == approval_instance_id,
            ApprovalEvent.actor_id.is_not(None),
        )
        ids |= {actor for actor in (await session.scalars(deciders)).all() if actor}
    if not ids:
        return {}
    stmt = select(User.id, User.display_name).where(User.tenant_id == tenant_id, User.id.in_(ids))
    return {row.id: row.display_name for row in await session.execute(stmt)}
