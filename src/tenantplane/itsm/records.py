"""Shared plumbing of ITSM records: human numbers per tenant and the timeline of each record.

Numbers come from a per-tenant counter row incremented in its own short transaction (on a pool of its own),
like a sequence.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine, event, select
from sqlalchemy.exc import MissingGreenlet
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.util import await_only

from tenantplane.approvals.models import ApprovalEvent
from tenantplane.identity.models import User
from tenantplane.itsm.models import RecordEvent

# Committed without waiting for the WAL flush (synchronous_commit off for this one transaction), so the counter
# row is locked for the statement only, not for a disk flush. No number is ever handed out twice: a request
# commits durably after its number was drawn, and that flush covers the earlier counter commit; a crash before it
# loses both, and the number is drawn again.
_NEXT = """
    INSERT INTO tenant_counters (tenant_id, name, value)
    SELECT %(tenant_id)s, %(name)s, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS asynchronous
    ON CONFLICT (tenant_id, name) DO UPDATE SET value = tenant_counters.value + 1
    RETURNING value
    """

NUMBERING_POOL_SIZE = 8
NUMBERING_WAIT_SECONDS = 10.0  # with the database gone a submit fails after this, not after the default 30 s
NUMBERING_APPLICATION = "tenantplane-numbering"  # pg_stat_activity's name for the numbering pool's connections

_NUMBERING: dict[Engine, asyncio.Task[AsyncConnectionPool]] = {}


def _numbering_pool(engine: AsyncEngine) -> asyncio.Task[AsyncConnectionPool]:
    """A small pool of its own for drawing numbers, next to the process's pool (opened once, by the first draw).

    A submit draws its number while its unit of work holds a connection of the main pool; were the number drawn
    from that pool too, a burst of submits holding every connection would each wait for one more (until the pool's
    timeout). A connection of this pool is held for one statement and waits for nothing but the counter row, so it
    cannot deadlock. It is closed with the main engine.

    Plain psycopg in autocommit, not an engine: a draw is one statement, and SQLAlchemy's connection, pool and
    result around it cost about three times the statement's own client time. Connections are opened as needed up to
    `NUMBERING_POOL_SIZE` and kept (a pool that closes what it returns beyond a few would open a PostgreSQL
    connection for most draws of a burst); a draw beyond them waits for one, a statement away.
    """
    opening = _NUMBERING.get(engine.sync_engine)
    if opening is not None and opening.done() and (opening.cancelled() or opening.exception() is not None):
        opening = None  # opening failed (e.g. a bad URL): try again rather than fail every later draw
    if opening is None:
        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        pool = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=NUMBERING_POOL_SIZE,
            max_lifetime=3600,
            timeout=NUMBERING_WAIT_SECONDS,
            kwargs={"autocommit": True, "application_name": NUMBERING_APPLICATION},
            open=False,
        )
        opening = asyncio.ensure_future(_opened(pool))
        if engine.sync_engine not in _NUMBERING:
            event.listen(engine.sync_engine, "engine_disposed", _close_numbering, once=True)
        _NUMBERING[engine.sync_engine] = opening
    return opening


async def _opened(pool: AsyncConnectionPool) -> AsyncConnectionPool:
    await pool.open()
    return pool


def _close_numbering(engine: Engine) -> None:
    opening = _NUMBERING.pop(engine, None)
    if opening is None:
        return
    if not opening.done() or opening.cancelled() or opening.exception() is not None:
        opening.cancel()
        return
    try:
        await_only(opening.result().close())  # within AsyncEngine.dispose (a greenlet): closes its connections
    except MissingGreenlet:  # a synchronous dispose (e.g. after a fork): drop the pool, leave the sockets alone
        pass


async def next_number(session: AsyncSession, tenant_id: uuid.UUID, prefix: str) -> str:
    """The next human number, e.g. REQ0001234 (seven digits, growing past them if ever needed).

    Drawn in a short transaction of its own, like a sequence: holding the counter row locked until the
    submitting request commits would make every submit in a tenant wait for the one before it. The price is
    that a submit which then fails leaves a gap in the numbers. One statement in autocommit (no BEGIN or COMMIT
    round trip), on a connection of the numbering pool; after a broken connection the pool's idle ones are checked
    and the draw tried once more (no ping first).
    """
    engine = session.bind
    assert isinstance(engine, AsyncEngine)
    pool = await _numbering_pool(engine)
    for attempt in (1, 2):
        try:
            async with pool.connection() as conn:
                cursor = await conn.execute(_NEXT, {"tenant_id": tenant_id, "name": prefix})
                row = await cursor.fetchone()
            assert row is not None
            return f"{prefix}{row[0]:07d}"
        except psycopg.OperationalError:
            if attempt == 2:
                raise
            await pool.check()  # after a restart every idle connection is dead: drop them all, not one
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
