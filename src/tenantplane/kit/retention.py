"""Retention: what the platform keeps only for a while (finished jobs, sent notification deliveries, the live log
chunks of finished executions), deleted once older than `retention_days`, in small batches.

Each domain registers its rule here (`retention_rule`), next to its tables; `purge` runs them all: the workers'
housekeeping once an hour (one worker at a time, under an advisory lock) and `tenantplane purge` on demand.
Business records (executions, step runs, requests, approvals, audit events) are never purged by it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from tenantplane.kit.db import Database

# Rows one statement deletes: short transactions, so claims and writes of live rows never wait long.
BATCH = 2000
# A run stops after this long (the next one goes on); `tenantplane purge` runs until nothing is left.
RUN_SECONDS = 20.0
_LOCK = 0x7E7A_0001  # pg_try_advisory_lock key: one purge at a time across all processes

# A rule deletes up to `limit` rows older than `cutoff` and returns how many it deleted.
Rule = Callable[[Database, datetime, int], Awaitable[int]]
_RULES: dict[str, Rule] = {}


async def delete_batch(database: Database, delete: str, cutoff: datetime, limit: int) -> int:
    """Run one rule's DELETE (binds `:cutoff` and `:limit`) in a transaction of its own; the rows it deleted."""
    async with database.transaction() as session:
        result = await session.execute(text(delete), {"cutoff": cutoff, "limit": limit})
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def retention_rule(name: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        _RULES[name] = fn
        return fn

    return register


def rules() -> dict[str, Rule]:
    return dict(_RULES)


async def purge(
    database: Database,
    days: int,
    *,
    seconds: float | None = RUN_SECONDS,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int] | None:
    """Run every rule in batches until nothing older than `days` is left (or `seconds` passed); rows deleted by
    rule. None when another process is purging (the advisory lock is taken) or retention is off (`days` 0)."""
    if days <= 0:
        return None
    cutoff = datetime.now(UTC) - timedelta(days=days)
    deadline = None if seconds is None else time.monotonic() + seconds
    async with database.engine.connect() as lock:
        if not await lock.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": _LOCK}):
            return None
        try:
            deleted: dict[str, int] = {}
            for name, rule in rules().items():
                deleted[name] = 0
                while deadline is None or time.monotonic() < deadline:
                    count = await rule(database, cutoff, BATCH)
                    deleted[name] += count
                    if progress is not None:
                        progress(name, deleted[name])
                    if count < BATCH:
                        break
            return deleted
        finally:
            await lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK})
