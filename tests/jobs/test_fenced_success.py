"""`JobContext.transaction(succeed=True)`: the handler's last transaction records the job's success with its work,
its fence being that UPDATE; both commit together or not at all, and a lost lease refuses the work."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from tenantplane.jobs import queue
from tenantplane.jobs.queue import enqueue
from tenantplane.jobs.registry import JobContext, LeaseLost
from tenantplane.kit.db import Database

OWNER = "fence-test-worker"


async def _claimed(db: Database) -> JobContext:
    async with db.transaction() as session:
        job_id = await enqueue(session, kind="test.record")
    async with db.engine.begin() as conn:
        claimed, _ = await queue.claim_due(conn, owner=OWNER, queues=["default"], limit=1, lease=30)
    assert [job.id for job in claimed] == [job_id]
    job = claimed[0]
    return JobContext(job.id, job.kind, job.tenant_id, job.payload, job.attempts, job.max_attempts, OWNER, db)


async def _state(db: Database, job_id: uuid.UUID) -> tuple[str, str | None, int]:
    async with db.transaction() as session:
        status, owner = (
            await session.execute(text("SELECT status, lease_owner FROM jobs WHERE id = :j"), {"j": job_id})
        ).one()
        rows = await session.scalar(text("SELECT count(*) FROM test_job_runs WHERE job_id = :j"), {"j": job_id})
    return str(status), owner, int(rows or 0)


async def _record(ctx: JobContext, session: object) -> None:
    await session.execute(  # type: ignore[attr-defined]
        text("INSERT INTO test_job_runs (job_id, attempt, worker, phase) VALUES (:j, 1, :w, 'done')"),
        {"j": ctx.job_id, "w": OWNER},
    )


async def test_the_success_commits_with_the_work_in_one_statement_for_fence_and_success(db: Database) -> None:
    ctx = await _claimed(db)
    async with ctx.transaction(succeed=True) as session:
        await _record(ctx, session)
        await ctx.succeed_in(session)  # already recorded by the fence: a no-op, not a second UPDATE
        assert await _state(db, ctx.job_id) == ("running", OWNER, 0), "nothing is seen before the commit"
    assert ctx.succeeded
    assert await _state(db, ctx.job_id) == ("succeeded", None, 1)


async def test_a_failing_handler_rolls_its_success_back_with_its_work(db: Database) -> None:
    ctx = await _claimed(db)

    async def failing_handler() -> None:
        async with ctx.transaction(succeed=True) as session:
            await _record(ctx, session)
            raise RuntimeError("the handler failed")

    with pytest.raises(RuntimeError):
        await failing_handler()
    assert not ctx.succeeded
    assert await _state(db, ctx.job_id) == ("running", OWNER, 0), "the job is still this worker's to fail or retry"


async def test_a_lost_lease_refuses_the_work(db: Database) -> None:
    ctx = await _claimed(db)
    async with db.transaction() as session:  # another worker took it over
        took_over = "UPDATE jobs SET lease_owner = 'other', attempts = 2 WHERE id = :j"
        await session.execute(text(took_over), {"j": ctx.job_id})

    async def handler() -> None:
        async with ctx.transaction(succeed=True) as session:
            await _record(ctx, session)

    with pytest.raises(LeaseLost):
        await handler()
    assert not ctx.succeeded
    assert await _state(db, ctx.job_id) == ("running", "other", 0)
