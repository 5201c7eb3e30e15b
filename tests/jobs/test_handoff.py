"""A hand-off: a job of a hand-off kind enqueued by another job's handler goes in claimed by that handler's worker,
which starts it as soon as the transaction commits (no NOTIFY, no claim). Exactly once as any job: a rolled-back
hand-off never runs, a worker that dies holding one loses it to a takeover (tests/system/test_handoff_crash.py)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text

from tenantplane.jobs.queue import enqueue
from tenantplane.jobs.worker import MAX_HANDOFFS
from tenantplane.kit.db import Database
from tests.jobs.conftest import RunningWorker, wait_for


async def _runs(db: Database) -> list[tuple[str, int, str]]:
    async with db.transaction() as session:
        rows = await session.execute(text("SELECT phase, attempt, worker FROM test_job_runs ORDER BY at"))
    return [(r[0], r[1], r[2]) for r in rows]


async def _start_chain(db: Database, links: int, **payload: object) -> None:
    async with db.transaction() as session:
        await enqueue(session, kind="test.link", payload={"n": links - 1, **payload})


async def _unsettled(db: Database) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(text("SELECT count(*) FROM jobs WHERE status <> 'succeeded'")) or 0)


async def test_a_chain_runs_on_the_worker_that_ran_its_previous_link_until_the_hand_off_limit(
    db: Database, start_worker: Callable[..., RunningWorker]
) -> None:
    start_worker(), start_worker()  # two workers, both woken by every NOTIFY
    links = MAX_HANDOFFS + 6
    await _start_chain(db, links)

    async def done() -> bool:
        return len(await _runs(db)) == links and await _unsettled(db) == 0

    await wait_for(done)
    runs = await _runs(db)
    assert [phase for phase, _, _ in runs] == [f"link {n}" for n in range(links - 1, -1, -1)]
    assert all(attempt == 1 for _, attempt, _ in runs)
    # Links 2 … MAX_HANDOFFS + 1 were handed off, each to the worker of the link before: the first one's.
    first_worker = runs[0][2]
    assert {worker for _, _, worker in runs[: MAX_HANDOFFS + 1]} == {first_worker}
    async with db.transaction() as session:
        handed = await session.scalar(
            text("SELECT count(*) FROM jobs WHERE kind = 'test.link' AND started_at - created_at < interval '0.5 ms'")
        )
    assert handed is not None
    assert handed >= MAX_HANDOFFS  # inserted claimed; the links after the limit went through the queue


async def test_a_hand_off_rolled_back_with_its_transaction_never_runs_and_the_retry_hands_off_once(
    db: Database, start_worker: Callable[..., RunningWorker]
) -> None:
    start_worker()
    await _start_chain(db, 3, fail_first=True)  # every link fails its first attempt after enqueueing the next

    async def done() -> bool:
        return await _unsettled(db) == 0 and len(await _runs(db)) == 3

    await wait_for(done)
    runs = await _runs(db)
    assert [(phase, attempt) for phase, attempt, _ in runs] == [("link 2", 2), ("link 1", 2), ("link 0", 2)]
    async with db.transaction() as session:
        jobs = await session.scalar(text("SELECT count(*) FROM jobs WHERE kind = 'test.link'"))
    assert jobs == 3, "each rolled-back hand-off left no job behind"
