"""Retention of the queue's own rows (finished jobs: succeeded, cancelled, dead; stopped workers' records), and the
purge that runs every domain's rules (`<domain>/retention.py`, found by name like the other faces).

A job's row is kept `retention_days` after it finished (operators retry dead ones from `/api/jobs` meanwhile);
rows that point at it (an execution's `job_id`, a delivery's) are set to NULL by their foreign keys.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from datetime import datetime

from tenantplane.jobs.registry import worker_maintenance
from tenantplane.kit.db import Database
from tenantplane.kit.retention import RUN_SECONDS, delete_batch, purge, retention_rule
from tenantplane.settings import Settings

# How often a worker's housekeeping purges (every worker tries; the advisory lock lets one at a time through).
PURGE_EVERY_SECONDS = 3600.0
_last_purge: dict[str, float] = {}


@retention_rule("jobs")
async def purge_finished_jobs(database: Database, cutoff: datetime, limit: int) -> int:
    return await delete_batch(
        database,
        "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE status IN ('succeeded', 'cancelled', 'dead') "
        "AND finished_at < :cutoff LIMIT :limit FOR UPDATE SKIP LOCKED)",
        cutoff,
        limit,
    )


@retention_rule("workers")
async def purge_stopped_workers(database: Database, cutoff: datetime, limit: int) -> int:
    return await delete_batch(
        database,
        "DELETE FROM workers WHERE id IN (SELECT id FROM workers WHERE stopped_at < :cutoff LIMIT :limit "
        "FOR UPDATE SKIP LOCKED)",
        cutoff,
        limit,
    )


def load_rules() -> None:
    """Import every domain's `retention` module, so its rules register."""
    from tenantplane.models import domain_modules

    for module in domain_modules("retention"):
        importlib.import_module(module)


async def purge_all(
    database: Database, days: int, *, seconds: float | None, progress: Callable[[str, int], None] | None = None
) -> dict[str, int] | None:
    load_rules()
    return await purge(database, days, seconds=seconds, progress=progress)


@worker_maintenance
async def purge_expired(database: Database) -> None:
    """The workers' hourly purge, bounded in time (the next run goes on where it stopped)."""
    key = database.url
    if time.monotonic() - _last_purge.get(key, -PURGE_EVERY_SECONDS) < PURGE_EVERY_SECONDS:
        return
    _last_purge[key] = time.monotonic()
    await purge_all(database, Settings().retention_days, seconds=RUN_SECONDS)
