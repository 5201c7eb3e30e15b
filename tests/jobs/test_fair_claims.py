"""Claims are fair across tenants: one tenant's flood of due jobs does not push another tenant's jobs behind it.

Issue 14: a runaway schedule or webhook flood of one tenant must not delay other tenants' approval notices and
workflow steps until the flood has drained. Real database, real claim statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import text

from tenantplane.jobs import queue
from tenantplane.jobs.queue import ClaimedJob, enqueue
from tenantplane.kit.db import Database
from tests.jobs.conftest import RunningWorker, wait_for

BATCH = 10


async def _tenant(db: Database, slug: str) -> uuid.UUID:
    tenant_id = uuid.uuid4()
    async with db.engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO tenants (id, slug, name) VALUES (:id, :slug, :slug)"), {"id": tenant_id, "slug": slug}
        )
    return tenant_id


async def _flood(db: Database, tenant_id: uuid.UUID | None, jobs: int) -> None:
    """`jobs` due jobs of one tenant, all older than anything enqueued after them (bulk, as a runaway schedule)."""
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO jobs (tenant_id, kind, run_at) SELECT :t, 'test.noop', "
                "now() - interval '1 hour' + i * interval '1 ms' FROM generate_series(1, :n) i"
            ),
            {"t": tenant_id, "n": jobs},
        )


async def _claim(db: Database, owner: str = "me", limit: int = BATCH) -> list[ClaimedJob]:
    async with db.engine.begin() as conn:
        return await queue.claim(conn, owner=owner, queues=["default"], limit=limit, lease=30)


async def test_a_quiet_tenants_jobs_are_claimed_in_the_first_batches_not_after_another_tenants_flood(
    db: Database,
) -> None:
    flood, quiet = await _tenant(db, "flood"), await _tenant(db, "quiet")
    await _flood(db, flood, 2000)
    async with db.transaction() as session:
        mine = {await enqueue(session, kind="test.noop", tenant_id=quiet) for _ in range(5)}
    first = await _claim(db) + await _claim(db)
    assert mine <= {job.id for job in first}, "the quiet tenant's jobs waited behind the flood"
    assert any(job.tenant_id == flood for job in first), "the flood still gets its share"


async def test_tenants_take_turns_by_their_oldest_due_job_and_platform_jobs_count_as_one_tenant(db: Database) -> None:
    a, b = await _tenant(db, "a"), await _tenant(db, "b")
    await _flood(db, a, 50)
    await _flood(db, None, 50)  # platform jobs: tenant_id NULL
    async with db.transaction() as session:
        for _ in range(3):
            await enqueue(session, kind="test.noop", tenant_id=b)
    batch = await _claim(db, limit=9)  # three turns of three tenants (a batch's jobs start together: no order)
    assert sorted(str(job.tenant_id) for job in batch) == sorted(str(t) for t in [a, a, a, None, None, None, b, b, b])


async def test_concurrent_claims_on_one_tenants_flood_each_get_a_full_batch_of_different_jobs(db: Database) -> None:
    """The fair order must not cost the SKIP LOCKED property: a claim passes over rows another claim holds."""
    await _flood(db, await _tenant(db, "solo"), 500)
    async with db.engine.connect() as first, first.begin():  # another worker's claim, not committed yet
        held = await queue.claim(first, owner="first", queues=["default"], limit=BATCH, lease=30)
        async with db.engine.connect() as second, second.begin():
            also = await queue.claim(second, owner="second", queues=["default"], limit=BATCH, lease=30)
            async with db.engine.begin() as third:
                rest = await queue.claim(third, owner="third", queues=["default"], limit=BATCH, lease=30)
    assert len(held) == len(also) == len(rest) == BATCH
    assert len({job.id for job in held + also + rest}) == 3 * BATCH


async def test_a_flood_does_not_make_another_tenants_job_run_early(db: Database) -> None:
    flood, quiet = await _tenant(db, "flood"), await _tenant(db, "quiet")
    await _flood(db, flood, 100)
    async with db.transaction() as session:
        later = await enqueue(session, kind="test.noop", tenant_id=quiet, delay_seconds=60)
    claimed = [job for _ in range(12) for job in await _claim(db)]
    assert len(claimed) == 100
    assert later not in {job.id for job in claimed}


async def test_a_claim_never_takes_more_than_its_limit_with_a_plan_made_while_the_queue_was_empty(db: Database) -> None:
    """A worker's connection prepares the claim (psycopg does, after 5 runs) while the queue is empty; then a flood
    lands. That plan nests the locking step inside the update, and must not rescan it per row updated: each rescan
    passed over the rows just claimed and locked more."""
    tenant = await _tenant(db, "solo")
    async with db.engine.connect() as conn:
        await conn.execute(text("ANALYZE jobs"))
        await conn.execute(text("SET plan_cache_mode = force_generic_plan"))
        await conn.commit()
        for _ in range(6):
            async with conn.begin():
                assert await queue.claim(conn, owner="me", queues=["default"], limit=BATCH, lease=30) == []
        await _flood(db, tenant, 300)
        async with conn.begin():
            claimed = await queue.claim(conn, owner="me", queues=["default"], limit=BATCH, lease=30)
    assert len(claimed) == BATCH


async def _blocking(db: Database, tenant_id: uuid.UUID, jobs: int, seconds: float) -> list[uuid.UUID]:
    async with db.transaction() as session:
        return [
            await enqueue(session, kind="test.block", payload={"seconds": seconds}, tenant_id=tenant_id)
            for _ in range(jobs)
        ]


async def _started(db: Database, job_ids: list[uuid.UUID]) -> int:
    async with db.engine.begin() as conn:
        found = await conn.scalar(
            text("SELECT count(DISTINCT job_id) FROM test_job_runs WHERE phase = 'started' AND job_id = ANY(:ids)"),
            {"ids": job_ids},
        )
    return int(found or 0)


async def _is(count: Awaitable[int], wanted: int) -> bool:
    return await count == wanted


async def test_a_flooding_tenant_never_takes_a_workers_reserved_slot(
    db: Database, start_worker: Callable[..., RunningWorker]
) -> None:
    flood, quiet = await _tenant(db, "flood"), await _tenant(db, "quiet")
    flooding = await _blocking(db, flood, 8, seconds=30)
    worker = start_worker(concurrency=4, reserved_slots=1)
    await wait_for(lambda: _is(_started(db, flooding), 3), timeout=10)  # 4 slots, 1 reserved
    assert len(worker.runner._running) == 3  # the fourth slot waits for another tenant

    # The quiet tenant's job starts at its enqueue's wake-up, while every flood job still runs.
    quiet_job = await _blocking(db, quiet, 1, seconds=0)
    await wait_for(lambda: _is(_started(db, quiet_job), 1), timeout=5)
    assert await _started(db, flooding) == 3


async def test_without_reserved_slots_one_tenant_may_take_every_slot(
    db: Database, start_worker: Callable[..., RunningWorker]
) -> None:
    flood = await _tenant(db, "flood")
    flooding = await _blocking(db, flood, 8, seconds=30)
    worker = start_worker(concurrency=4, reserved_slots=0)
    await wait_for(lambda: _is(_started(db, flooding), 4), timeout=10)
    assert len(worker.runner._running) == 4
