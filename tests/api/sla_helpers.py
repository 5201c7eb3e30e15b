"""Helpers the SLA clock tests share: rows read straight from the database, and clocks moved in time through it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import text

from tests.api.conftest import TenantContext


async def rows(t: TenantContext, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    async with t.database.transaction() as session:
        return [tuple(row) for row in (await session.execute(text(sql), params)).all()]


async def clock_jobs(t: TenantContext, record_id: str) -> list[tuple[str, str, Any]]:
    """(kind, status, run_at) of the timer jobs of a record's clocks, in run order."""
    found = await rows(
        t,
        "SELECT j.kind, j.status, j.run_at FROM jobs j "
        "JOIN sla_clocks c ON c.id = CAST(j.payload->>'clock_id' AS uuid) WHERE c.record_id = CAST(:r AS uuid) "
        "ORDER BY j.run_at, j.kind, j.created_at",
        r=record_id,
    )
    return [(str(k), str(s), r) for k, s, r in found]


async def move_clocks_back(
    t: TenantContext, record_id: str, by: timedelta, *, copies: int = 1, clocks: bool = True, jobs: bool = True
) -> None:
    """Pretend a record's clocks started `by` earlier: their times (`clocks`) and their queued timer jobs' run
    times (`jobs`) move back. With `copies` > 1 each queued timer job is queued that many times (as if armed by
    several processes)."""
    async with t.database.transaction() as session:
        params = {"r": record_id, "by": by}
        if clocks:
            await session.execute(
                text(
                    "UPDATE sla_clocks SET started_at = started_at - :by, warn_at = warn_at - :by, "
                    "due_at = due_at - :by WHERE record_id = CAST(:r AS uuid)"
                ),
                params,
            )
        ids = "SELECT CAST(id AS text) FROM sla_clocks WHERE record_id = CAST(:r AS uuid)"
        if jobs:
            await session.execute(
                text(
                    f"UPDATE jobs SET run_at = run_at - :by WHERE status = 'queued' AND payload->>'clock_id' IN ({ids})"
                ),
                params,
            )
        if copies > 1:
            await session.execute(
                text(
                    "INSERT INTO jobs (tenant_id, kind, queue, payload, run_at, max_attempts, backoff_seconds) "
                    "SELECT tenant_id, kind, queue, payload, run_at, max_attempts, backoff_seconds FROM jobs "
                    "CROSS JOIN generate_series(2, :copies) "
                    f"WHERE status = 'queued' AND payload->>'clock_id' IN ({ids})"
                ),
                {"r": record_id, "copies": copies},
            )


async def timeline_kinds(t: TenantContext, record_id: str) -> list[str]:
    found = await rows(
        t,
        "SELECT kind FROM itsm_record_events WHERE record_id = CAST(:r AS uuid) AND kind LIKE 'sla_%' "
        "ORDER BY created_at",
        r=record_id,
    )
    return [str(kind) for (kind,) in found]


async def sla_audit(t: TenantContext, record_id: str) -> list[str]:
    found = await rows(
        t,
        "SELECT action FROM audit_events WHERE object_id = :r AND action LIKE 'sla_clock.%' ORDER BY created_at",
        r=record_id,
    )
    return [str(action) for (action,) in found]


async def inbox_subjects(t: TenantContext, user_id: str) -> list[str]:
    found = await rows(
        t,
        "SELECT subject FROM notifications WHERE user_id = CAST(:u AS uuid) AND subject LIKE '%target%' "
        "ORDER BY created_at",
        u=user_id,
    )
    return [str(subject) for (subject,) in found]
