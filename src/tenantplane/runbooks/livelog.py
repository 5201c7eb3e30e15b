"""The live log of a running execution: masked text appended to `execution_log_chunks` about every 200 ms.

Each flush is a small transaction fenced by the job lease, so readers in any process see lines as they come.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import structlog
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.executions.models import ExecutionLogChunk
from tenantplane.jobs.registry import LeaseLost

log = structlog.get_logger("tenantplane.runbooks")
FLUSH_SECONDS = 0.2
Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]


async def last_chunk_number(session: AsyncSession, execution_id: uuid.UUID) -> int:
    found = await session.scalar(
        select(func.max(ExecutionLogChunk.seq)).where(ExecutionLogChunk.execution_id == execution_id)
    )
    return int(found or 0)


class LiveLog:
    """Buffers (step, stream, text) pieces in memory; `flush` writes them, merged, as numbered chunks."""

    def __init__(
        self, transaction: Transaction, *, tenant_id: uuid.UUID, execution_id: uuid.UUID, after: int = 0
    ) -> None:
        self._transaction = transaction
        self._tenant_id = tenant_id
        self._execution_id = execution_id
        self._seq = after
        self._pending: list[tuple[int | None, str, str]] = []
        self._by_step: dict[int | None, list[str]] = {}
        self._lock = asyncio.Lock()
        self._lost = False

    def write(self, step: int | None, stream: str, text: str) -> None:
        if not text:
            return
        self._by_step.setdefault(step, []).append(text)
        if self._pending and self._pending[-1][:2] == (step, stream):
            self._pending[-1] = (step, stream, self._pending[-1][2] + text)
        else:
            self._pending.append((step, stream, text))

    def text_of(self, step: int | None) -> str:
        """Everything written for a step so far (its log when the action never returned one)."""
        return "".join(self._by_step.get(step, []))

    async def flush(self) -> None:
        async with self._lock:
            batch, self._pending = self._pending, []
            if not batch or self._lost:
                return
            rows = []
            for step, stream, text in batch:
                self._seq += 1
                rows.append(
                    {
                        "execution_id": self._execution_id,
                        "seq": self._seq,
                        "tenant_id": self._tenant_id,
                        "step_position": step,
                        "stream": stream,
                        "text": text,
                    }
                )
            try:
                async with self._transaction() as session:
                    await session.execute(insert(ExecutionLogChunk), rows)
            except LeaseLost:
                self._lost = True  # another worker owns the execution now; its record wins
            except Exception:
                self._seq -= len(rows)
                self._pending = batch + self._pending
                raise

    async def run(self) -> None:
        """Flush every FLUSH_SECONDS until cancelled; a failed flush is retried with the next one."""
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                await self.flush()
            except Exception as error:
                log.warning("live log flush failed; retrying", execution=str(self._execution_id), error=str(error))
