"""Job handlers used only by tests; worker processes load them with `--import tests.support.job_handlers`.

Each run writes a row to `test_job_runs`, so tests can prove every job ran, and none twice.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from tenantplane.jobs.registry import JobContext, PermanentFailure, job_handler

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS test_job_runs (
    job_id uuid NOT NULL, attempt int NOT NULL, worker text NOT NULL, phase text NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
)
"""


async def _record(ctx: JobContext, phase: str) -> None:
    async with ctx.transaction() as session:
        await session.execute(
            text("INSERT INTO test_job_runs (job_id, attempt, worker, phase) VALUES (:j, :a, :w, :p)"),
            {"j": ctx.job_id, "a": ctx.attempt, "w": ctx.worker_id, "p": phase},
        )


@job_handler("test.record", max_attempts=3, backoff_seconds=0.05)
async def record(ctx: JobContext) -> None:
    await _record(ctx, "done")


@job_handler("test.noop", max_attempts=1)
async def noop(ctx: JobContext) -> None:
    return None


@job_handler("test.block", max_attempts=3, backoff_seconds=0.05)
async def block(ctx: JobContext) -> None:
    """Records `started`, waits `seconds` (the first attempt only), then records `done` fenced."""
    await _record(ctx, "started")
    if ctx.attempt == 1:
        await asyncio.sleep(float(ctx.payload.get("seconds", 30)))
    await _record(ctx, "done")


@job_handler("test.flaky", max_attempts=3, backoff_seconds=0.05)
async def flaky(ctx: JobContext) -> None:
    await _record(ctx, "tried")
    if ctx.attempt < int(ctx.payload.get("succeed_on", 99)):
        raise RuntimeError(f"attempt {ctx.attempt} fails on purpose")
    await _record(ctx, "done")


@job_handler("test.permanent", max_attempts=5)
async def permanent(ctx: JobContext) -> None:
    raise PermanentFailure("this cannot work")


@job_handler("test.link", max_attempts=3, backoff_seconds=0.05, handoff=True)
async def link(ctx: JobContext) -> None:
    """One link of a chain: records `done` and enqueues the next link (payload `n` - 1) in one fenced transaction,
    so the next link is handed off to this worker. `fail_first`: the first attempt rolls that back by raising;
    `pause_marker`: the first attempt, once committed, touches the file and hangs (a worker to SIGKILL)."""
    from pathlib import Path

    from tenantplane.jobs.queue import enqueue

    n = int(ctx.payload["n"])
    async with ctx.transaction() as session:
        await session.execute(
            text("INSERT INTO test_job_runs (job_id, attempt, worker, phase) VALUES (:j, :a, :w, :p)"),
            {"j": ctx.job_id, "a": ctx.attempt, "w": ctx.worker_id, "p": f"link {n}"},
        )
        if n > 0:
            carried = {"fail_first": True} if ctx.payload.get("fail_first") else {}
            await enqueue(session, kind="test.link", tenant_id=ctx.tenant_id, payload={"n": n - 1, **carried})
        if ctx.payload.get("fail_first") and ctx.attempt == 1:
            raise RuntimeError("the first attempt rolls back its hand-off")
    if ctx.payload.get("pause_marker") and ctx.attempt == 1:
        Path(str(ctx.payload["pause_marker"])).touch()
        await asyncio.sleep(600)
