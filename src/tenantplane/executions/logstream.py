"""Server-Sent Events of an execution for the UI: its live log, and its status and step-run changes.

Read from the database by polling, so any API process can serve them; a stream ends when the execution does. The
worker appends masked log chunks in small transactions; one poll loop serves both streams.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.executions.models import FINISHED_STATUSES, Execution, ExecutionLogChunk, StepRun
from tenantplane.kit.db import Database

POLL_SECONDS = 0.25
KEEPALIVE_SECONDS = 15.0
BATCH = 500

# What a stream reads on each poll, after the execution's status: the events to send, and whether more are
# waiting right now (a full batch: poll again without sleeping).
Reader = Callable[[AsyncSession], Awaitable[tuple[list[str], bool]]]


def sse(event: str, data: dict[str, Any], event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, default=str)}\n\n"


async def _stream(
    database: Database, tenant_id: uuid.UUID, execution_id: uuid.UUID, read: Reader
) -> AsyncIterator[str]:
    """`status` on each change, what `read` finds, then one `end`; nothing more once the execution is gone.

    The status is read first in each poll: once it is final everything was already committed, so nothing is missed.
    """
    last_status: str | None = None
    quiet_since = time.monotonic()
    while True:
        async with database.transaction() as session:
            found = (
                await session.execute(
                    select(Execution.status, Execution.error).where(
                        Execution.tenant_id == tenant_id, Execution.id == execution_id
                    )
                )
            ).one_or_none()
            if found is None:  # gone (its tenant was deleted)
                return
            events, more = await read(session)
        status, error = found
        if status != last_status:
            yield sse("status", {"status": status})
            last_status, quiet_since = status, time.monotonic()
        for event in events:
            yield event
        if events:
            quiet_since = time.monotonic()
            if more:
                continue
        if status in FINISHED_STATUSES:
            yield sse("end", {"status": status, "error": error})
            return
        if time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
            yield ": keep-alive\n\n"
            quiet_since = time.monotonic()
        await asyncio.sleep(POLL_SECONDS)


def log_events(
    database: Database, *, tenant_id: uuid.UUID, execution_id: uuid.UUID, after: int = 0
) -> AsyncIterator[str]:
    """`log` events (one per chunk, id = its sequence number), `status` on each change, then one `end`."""
    last_seq = after

    async def read(session: AsyncSession) -> tuple[list[str], bool]:
        nonlocal last_seq
        chunks = (
            await session.execute(
                select(ExecutionLogChunk.seq, ExecutionLogChunk.stream, ExecutionLogChunk.text, StepRun.name)
                .outerjoin(
                    StepRun,
                    (StepRun.execution_id == ExecutionLogChunk.execution_id)
                    & (StepRun.position == ExecutionLogChunk.step_position),
                )
                .where(
                    ExecutionLogChunk.tenant_id == tenant_id,
                    ExecutionLogChunk.execution_id == execution_id,
                    ExecutionLogChunk.seq > last_seq,
                )
                .order_by(ExecutionLogChunk.seq)
                .limit(BATCH)
            )
        ).all()
        if chunks:
            last_seq = chunks[-1].seq
        events = [sse("log", {"step": step, "stream": stream, "text": text}, seq) for seq, stream, text, step in chunks]
        return events, len(chunks) == BATCH

    return _stream(database, tenant_id, execution_id, read)


def step_events(database: Database, *, tenant_id: uuid.UUID, execution_id: uuid.UUID) -> AsyncIterator[str]:
    """`status` on each change of the execution, `step` on each change of a step run, then one `end`."""
    seen: dict[str, tuple[str, int]] = {}

    async def read(session: AsyncSession) -> tuple[list[str], bool]:
        rows = (
            await session.execute(
                select(StepRun.step_id, StepRun.name, StepRun.status, StepRun.attempt)
                .where(StepRun.tenant_id == tenant_id, StepRun.execution_id == execution_id)
                .order_by(StepRun.position)
            )
        ).all()
        events = []
        for step_id, name, status, attempt in rows:
            step = step_id or name
            if seen.get(step) != (status, attempt):
                seen[step] = (status, attempt)
                events.append(sse("step", {"step_id": step, "status": status, "attempts": attempt}))
        return events, False

    return _stream(database, tenant_id, execution_id, read)
