"""A claim also says how long until the next job falls due, in the same statement, so an idle worker sleeps right."""

from __future__ import annotations

from tenantplane.jobs import queue
from tenantplane.jobs.queue import enqueue
from tenantplane.kit.db import Database


async def test_a_short_claim_names_the_next_job_not_due_yet_and_ignores_jobs_another_claim_holds(db: Database) -> None:
    async with db.transaction() as session:
        due_now = await enqueue(session, kind="test.record")
        await enqueue(session, kind="test.record", delay_seconds=60)
    async with db.engine.connect() as other, other.begin():  # another worker's claim, not committed yet
        [held] = await queue.claim(other, owner="other-worker", queues=["default"], limit=5, lease=30)
        async with db.engine.begin() as conn:
            jobs, seconds = await queue.claim_due(conn, owner="me", queues=["default"], limit=5, lease=30)
    assert held.id == due_now
    assert jobs == []
    assert seconds is not None
    assert 50 < seconds <= 60, "the job the other claim holds is not a reason to claim again at once"


async def test_a_full_claim_names_no_next_job_and_an_empty_queue_none(db: Database) -> None:
    async with db.transaction() as session:
        first = await enqueue(session, kind="test.record")
        second = await enqueue(session, kind="test.record")
    async with db.engine.begin() as conn:
        full, seconds = await queue.claim_due(conn, owner="me", queues=["default"], limit=1, lease=30)
        assert len(full) == 1
        assert seconds is None
        rest, seconds = await queue.claim_due(conn, owner="me", queues=["default"], limit=5, lease=30)
        assert seconds is None
    assert {job.id for job in full + rest} == {first, second}
    assert [job.attempts for job in full + rest] == [1, 1]
