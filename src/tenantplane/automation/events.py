"""Server-Sent Events of an execution's progress for the UI: its status and each step run's status changes.

Read from the database by polling, so any API process can serve it; the stream ends when the execution does.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

from sqlalchemy import select

from tenantplane.executions.logstream import KEEPALIVE_SECONDS, POLL_SECONDS, sse
from tenantplane.executions.models import FINISHED_STATUSES, Execution, StepRun
from tenantplane.kit.db import Database

StepView = tuple[str, str, int]


async def _poll(
    database: Database, tenant_id: uuid.UUID, execution_id: uuid.UUID
) -> tuple[str, str | None, list[StepView]] | None:
    """The execution's status and error, then (step, status, attempt) of each step run; None when it is gone."""
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
        rows = (
            await session.execute(
                select(StepRun.step_id, StepRun.name, StepRun.status, StepRun.attempt)
                .where(StepRun.tenant_id == tenant_id, StepRun.execution_id == execution_id)
                .order_by(StepRun.position)
            )
        ).all()
    return found[0], found[1], [(step_id or name, status, attempt) for step_id, name, status, attempt in rows]


async def execution_events(database: Database, *, tenant_id: uuid.UUID, execution_id: uuid.UUID) -> AsyncIterator[str]:
    """`status` on each change of the execution, `step` on each change of a step run, then one `end`."""
    last_status: str | None = None
    seen: dict[str, tuple[str, int]] = {}
    quiet_since = time.monotonic()
    while True:
        polled = await _poll(database, tenant_id, execution_id)
        if polled is None:
            return
        status, error, steps = polled
        if status != last_status:
            yield sse("status", {"status": status})
            last_status, quiet_since = status, time.monotonic()
        for step, step_status, attempt in steps:
            if seen.get(step) != (step_status, attempt):
                seen[step] = (step_status, attempt)
                yield sse("step", {"step_id": step, "status": step_status, "attempts": attempt})
                quiet_since = time.monotonic()
        if status in FINISHED_STATUSES:
            yield sse("end", {"status": status, "error": error})
            return
        if time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
            yield ": keep-alive\n\n"
            quiet_since = time.monotonic()
        await asyncio.sleep(POLL_SECONDS)
