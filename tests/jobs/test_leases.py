"""A live worker keeps its leases: a success being recorded when the worker stops is recorded once, and a job
that finished while the event loop was busy past the lease is not taken over by the worker's own heartbeat."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tenantplane.jobs import queue
from tenantplane.jobs.queue import enqueue
from tenantplane.jobs.registry import JobContext, job_handler
from tenantplane.kit.db import Database
from tests.jobs.conftest import wait_for

_finished: dict[uuid.UUID, asyncio.Event] = {}


@job_handler("test.busy_loop", max_attempts=3, backoff_seconds=0.05)
async def busy_loop(ctx: JobContext) -> None:
    """Records `started`, then (first attempt only) keeps the event loop busy for `seconds` without yielding."""
    async with ctx.transaction() as session:
        await session.execute(
            text("INSERT INTO test_job_runs (job_id, attempt, worker, phase) VALUES (:j, :a, :w, 'started')"),
            {"j": ctx.job_id, "a": ctx.attempt, "w": ctx.worker_id},
        )
    if ctx.attempt == 1:
        time.sleep(float(ctx.payload["seconds"]))  # the point: no heartbeat can run meanwhile
        _finished.setdefault(ctx.job_id, asyncio.Event()).set()


async def _job(db: Database, job_id: uuid.UUID) -> tuple[str, int, int]:
    async with db.transaction() as session:
        status, attempts = (
            await session.execute(text("SELECT status, attempts FROM jobs WHERE id = :j"), {"j": job_id})
        ).one()
        started = await session.scalar(
            text("SELECT count(*) FROM test_job_runs WHERE job_id = :j AND phase = 'started'"), {"j": job_id}
        )
    return str(status), int(attempts), int(started or 0)


async def test_a_worker_stopping_while_it_records_a_success_records_it_once(
    db: Database, start_worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The success's COMMIT has gone through but its answer is still on the way when the worker is told to stop."""
    real = queue.succeed_many
    calls: list[tuple[int, int]] = []  # (successes asked to record, successes recorded)
    in_flight, answer = asyncio.Event(), asyncio.Event()

    async def committed_answer_late(conn: AsyncConnection, *, owner: str, done: list[tuple[uuid.UUID, int]]) -> Any:
        async with db.engine.begin() as own:  # commits before the answer comes back
            recorded = await real(own, owner=owner, done=done)
        calls.append((len(done), len(recorded)))
        if len(calls) == 1:
            in_flight.set()
            await answer.wait()
        return recorded

    monkeypatch.setattr(queue, "succeed_many", committed_answer_late)
    worker = start_worker()
    drain, drained = worker.runner._drain, asyncio.Event()

    async def drain_then_say_so() -> None:
        await drain()
        drained.set()

    monkeypatch.setattr(worker.runner, "_drain", drain_then_say_so)
    async with db.transaction() as session:
        job_id = await enqueue(session, kind="test.record")
    await asyncio.wait_for(in_flight.wait(), timeout=20)
    worker.stop.set()
    await asyncio.wait_for(drained.wait(), timeout=20)  # the worker is past its last handler, into its shutdown
    answer.set()
    await worker.close()
    assert calls == [(1, 1)], "a success was recorded twice, the second time refused as a lost lease"
    assert (await _job(db, job_id))[0] == "succeeded"


async def test_a_job_finished_while_the_loop_was_busy_past_the_lease_is_recorded_not_run_again(
    db: Database, start_worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first heartbeat after the busy spell runs before the success is recorded (made so, not left to luck)."""
    lease = 1.0
    worker = start_worker(lease_seconds=lease, heartbeat_seconds=0.2)
    runner = worker.runner
    beat, flush = runner._beat, runner._flush
    beaten_after = asyncio.Event()

    async def beat_and_say_so() -> None:
        await beat()
        if any(event.is_set() for event in _finished.values()):
            beaten_after.set()

    async def flush_after_a_beat() -> None:
        if any(event.is_set() for event in _finished.values()):
            await beaten_after.wait()
        await flush()

    monkeypatch.setattr(runner, "_beat", beat_and_say_so)
    monkeypatch.setattr(runner, "_flush", flush_after_a_beat)
    async with db.transaction() as session:
        job_id = await enqueue(session, kind="test.busy_loop", payload={"seconds": 2 * lease})
    try:
        await wait_for(lambda: _status_is_final(db, job_id), timeout=30)
    finally:
        _finished.pop(job_id, None)
    status, attempts, started = await _job(db, job_id)
    assert (status, attempts, started) == ("succeeded", 1, 1), "the worker's own heartbeat took its finished job over"


async def _status_is_final(db: Database, job_id: uuid.UUID) -> bool:
    status, attempts, _ = await _job(db, job_id)
    return status == "succeeded" or attempts > 1
