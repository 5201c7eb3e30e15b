"""Request numbers come from a small psycopg pool per engine (itsm/records.py): it keeps its connections through a
burst (none opened per draw), never holds more than its size, and is closed with the engine it belongs to."""

from __future__ import annotations

import asyncio
import time
import uuid

import psycopg

from tenantplane.itsm import records
from tenantplane.kit.db import Database
from tests.api.conftest import TenantContext

COUNT = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s"


def _numbering_connections(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(COUNT, (records.NUMBERING_APPLICATION,)).fetchone()
    assert row is not None
    return int(row[0])


async def _draw(db: Database, tenant_id: uuid.UUID, draws: int) -> list[str]:
    async def one() -> str:
        async with db.transaction() as session:
            return await records.next_number(session, tenant_id, "REQ")

    return list(await asyncio.gather(*(one() for _ in range(draws))))


async def test_a_burst_of_draws_reuses_the_numbering_pool_and_disposing_the_engine_closes_it(
    tenant: TenantContext, clean_database: str
) -> None:
    db = Database(clean_database, pool_size=12)
    tenant_id = uuid.UUID(tenant.id)
    try:
        numbers = await _draw(db, tenant_id, 24) + await _draw(db, tenant_id, 24)
        pool = await records._NUMBERING[db.engine.sync_engine]
        # 48 draws, 24 at a time: at most a pool's worth of connections was ever opened (none per draw).
        assert 1 <= pool.get_stats()["connections_num"] <= records.NUMBERING_POOL_SIZE
        assert 1 <= _numbering_connections(clean_database) <= records.NUMBERING_POOL_SIZE
        assert sorted(numbers) == [f"REQ{n:07d}" for n in range(1, 49)]
    finally:
        await db.dispose()
    assert db.engine.sync_engine not in records._NUMBERING
    assert pool.closed
    # A closed connection's server process leaves pg_stat_activity a moment after the client hangs up.
    deadline = time.monotonic() + 5
    while _numbering_connections(clean_database) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert _numbering_connections(clean_database) == 0
    # A new engine on the same database gets a pool of its own, and numbering goes on.
    again = Database(clean_database, pool_size=1)
    try:
        assert await _draw(again, tenant_id, 1) == ["REQ0000049"]
    finally:
        await again.dispose()
