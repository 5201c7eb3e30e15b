"""Server-Sent Events of an execution's live log, read from the database so any API process can serve it.

The worker appends masked chunks in small transactions; this polls for new ones until the execution ends.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import Row, select

from tenantplane.executions.models import FINISHED_STATUSES, Execution, ExecutionLogChunk, StepRun
from tenantplane.kit.db import Database

POLL_SECONDS = 0.25
KEEPALIVE_SECONDS = 15.0
BATCH = 500


def sse(event: str, data: dict[str, Any], event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, default=str)}\n\n"


async def _poll(
    database: Database, tenant_id: uuid.UUID, execution_id: uuid.UUID, after: int
) -> tuple[str, str | None, Sequence[Row[tuple[int, str, str, str]]]] | None:
    """The execution's status and error, then the chunks after `after`; None when the execution is gone.

    The status is read first: once it is final every chunk was already committed, so none can be missed.
    """
    async with database.transaction() as session:
        found = (
            await session.execute(
                select(Execution.status, Execution.error).where(
                    Execution.tenant_id == tenant_id, Execution.id == execution_id
                )
            )
        ).one_or_none()
        if found is None:
            return None
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
                    ExecutionLogChunk.seq > after,
                )
                .order_by(ExecutionLogChunk.seq)
                .limit(BATCH)
            )
        ).all()
    return found[0], found[1], chunks


async def log_events(
    database: Database, *, tenant_id: uuid.UUID, execution_id: uuid.UUID, after: int = 0
) -> AsyncIterator[str]:
    """`log` events (one per chunk, id = its sequence number), `status` on each change, then one `end`."""
    last_status: str | None = None
    quiet_since = time.monotonic()
    while True:
        polled = await _poll(database, tenant_id, execution_id, after)
        if polled is None:  # gone (its tenant was deleted)
            return
        status, error, chunks = polled
        if status != last_status:
            yield sse("status", {"status": status})
            last_status = status
        for seq, stream, text, step in chunks:
            yield sse("log", {"step": step, "stream": stream, "text": text}, seq)
            after = seq
        if chunks:
            quiet_since = time.monotonic()
            if len(chunks) == BATCH:
                continue
        if status in FINISHED_STATUSES:
            yield sse("end", {"status": status, "error": error})
            return
        if time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
            yield ": keep-alive\n\n"
            quiet_since = time.monotonic()
        await asyncio.sleep(POLL_SECONDS)
