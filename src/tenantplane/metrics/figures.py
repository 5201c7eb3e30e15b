"""The state figures of one scrape, read from the database in one short read-only transaction.

Every statement is an aggregate over an index (docs/metrics.md lists which); ages are measured against the database's
clock, so every API process reports the same figures for the same moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# Upper bounds (seconds) of the step-duration buckets: scripts take seconds, approval steps wait hours or days.
DURATION_BUCKETS: tuple[float, ...] = (1, 5, 30, 60, 300, 900, 3600, 4 * 3600, 86_400, 7 * 86_400)
# A scrape that takes longer than this fails (the endpoint answers 503) rather than pile up on a slow database.
STATEMENT_TIMEOUT_MS = 5000


class Pending(NamedTuple):
    kind: str  # itsm (approval instances) | automation (approval gates)
    tenant: str  # the tenant's slug
    open: int
    oldest_age: float  # seconds since the oldest of them was opened


class StepDurations(NamedTuple):
    kind: str  # the execution's kind: runbook | workflow
    type: str  # the step's type as stored (bounded to known names by the exporter)
    runs: int
    total: float
    cumulative: tuple[int, ...]  # step runs at most DURATION_BUCKETS[i] long


class QueueDepth(NamedTuple):
    queue: str
    due: int  # queued or retrying, due now: waiting for a worker
    oldest_due_age: float  # seconds since the oldest of those became due (0 when none)
    scheduled: int  # queued or retrying, due later (timers, backoffs)
    running: int
    held: int  # `waiting`: held back by the tenant's limit on running runbooks


class Heartbeat(NamedTuple):
    worker: str
    age: float  # seconds since the worker's last heartbeat
    queues: tuple[str, ...]


@dataclass(frozen=True)
class Figures:
    pending: list[Pending]
    decisions: list[tuple[str, str, int]]  # (kind, outcome, approvals decided today, UTC)
    breaches: list[tuple[str, int]]  # (SLA target, breaches announced today)
    executions_active: list[tuple[str, str, int]]  # (kind, status, count)
    executions_finished: list[tuple[str, str, int]]  # (kind, status, finished today)
    step_durations: list[StepDurations]
    queues: list[QueueDepth]
    workers: list[Heartbeat]
    deliveries: list[tuple[str, str, int]]  # (channel type, status, count) of deliveries not sent


def _age(column: str, where: str = "") -> str:
    aggregate = f"min({column})" + (f" FILTER (WHERE {where})" if where else "")
    return f"COALESCE(CAST(EXTRACT(EPOCH FROM now() - {aggregate}) AS float8), 0)"


# One index probe per tenant on (tenant_id, status, created_at): PostgreSQL 15 cannot skip-scan, so a plain GROUP BY
# would read every finished approval too.
_PENDING = f"""
SELECT p.kind, t.slug, p.n, p.age
FROM tenants AS t
CROSS JOIN LATERAL (
    SELECT 'itsm' AS kind, count(*) AS n, {_age("created_at")} AS age
    FROM approval_instances WHERE tenant_id = t.id AND status = 'pending'
    UNION ALL
    SELECT 'automation', count(*), {_age("created_at")}
    FROM approval_gates WHERE tenant_id = t.id AND status = 'pending'
) AS p
WHERE p.n > 0
"""

# Counters of what finished since midnight UTC: the same figure in every process, and each costs an index range over
# one day (never the whole history). Prometheus reads the drop at midnight as a counter reset, as after a restart.
_TODAY = "date_trunc('day', now(), 'UTC')"

_DECISIONS = f"""
SELECT 'itsm', status, count(*) FROM approval_instances
WHERE finished_at >= {_TODAY} AND status IN ('approved', 'rejected') GROUP BY status
UNION ALL
SELECT 'automation', status, count(*) FROM approval_gates
WHERE decided_at >= {_TODAY} AND status IN ('approved', 'rejected', 'timed_out') GROUP BY status
"""

_BREACHES = f"SELECT target, count(*) FROM sla_clocks WHERE breached_at >= {_TODAY} GROUP BY target"

_EXECUTIONS_ACTIVE = """
SELECT kind, status, count(*) FROM executions WHERE status IN ('queued', 'running', 'waiting') GROUP BY kind, status
"""

_EXECUTIONS_FINISHED = f"""
SELECT kind, status, count(*) FROM executions
WHERE finished_at >= {_TODAY} AND status IN ('succeeded', 'failed', 'rejected', 'cancelled', 'timed_out')
GROUP BY kind, status
"""

_BUCKET_COUNTS = ", ".join(f"count(*) FILTER (WHERE s.d <= {bound})" for bound in DURATION_BUCKETS)
_STEP_DURATIONS = f"""
SELECT e.kind, s.type, count(*), COALESCE(sum(s.d), 0), {_BUCKET_COUNTS}
FROM (
    SELECT execution_id, type, GREATEST(CAST(EXTRACT(EPOCH FROM finished_at - started_at) AS float8), 0) AS d
    FROM step_runs
    WHERE finished_at >= now() - make_interval(secs => :window) AND started_at IS NOT NULL
) AS s
JOIN executions AS e ON e.id = s.execution_id
GROUP BY e.kind, s.type
"""

# Three statements, each matching one partial index of the queue (ix_jobs_claim, ix_jobs_lease, ix_jobs_waiting).
_QUEUED = f"""
SELECT queue, count(*) FILTER (WHERE run_at <= now()), {_age("run_at", "run_at <= now()")},
       count(*) FILTER (WHERE run_at > now())
FROM jobs WHERE status IN ('queued', 'failed') GROUP BY queue
"""
_RUNNING = "SELECT queue, count(*) FROM jobs WHERE status = 'running' GROUP BY queue"
_HELD = "SELECT queue, count(*) FROM jobs WHERE status = 'waiting' GROUP BY queue"

# Workers that stopped said so; one that crashed keeps its row, so only recent heartbeats count (the window).
_WORKERS = """
SELECT id, CAST(EXTRACT(EPOCH FROM now() - heartbeat_at) AS float8), queues FROM workers
WHERE stopped_at IS NULL AND heartbeat_at >= now() - make_interval(secs => :window)
"""

_DELIVERIES = """
SELECT channel_type, status, count(*) FROM notification_deliveries
WHERE status IN ('queued', 'failed', 'dead') GROUP BY channel_type, status
"""


async def _rows(conn: AsyncConnection, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
    return list((await conn.execute(text(sql), params or {})).all())


async def read_figures(conn: AsyncConnection, *, window_seconds: float) -> Figures:
    """Every figure, from one REPEATABLE READ snapshot (the statements agree with each other)."""
    await conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
    await conn.execute(text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
    # Each statement reads one index range: starting parallel workers would cost more than it saves.
    await conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    window = {"window": float(window_seconds)}
    queues: dict[str, list[Any]] = {}
    for name, due, oldest, scheduled in await _rows(conn, _QUEUED):
        queues[name] = [due, oldest, scheduled, 0, 0]
    for slot, sql in ((3, _RUNNING), (4, _HELD)):
        for name, count in await _rows(conn, sql):
            queues.setdefault(name, [0, 0.0, 0, 0, 0])[slot] = count
    return Figures(
        pending=[Pending(*row) for row in await _rows(conn, _PENDING)],
        decisions=[tuple(row) for row in await _rows(conn, _DECISIONS)],
        breaches=[tuple(row) for row in await _rows(conn, _BREACHES)],
        executions_active=[tuple(row) for row in await _rows(conn, _EXECUTIONS_ACTIVE)],
        executions_finished=[tuple(row) for row in await _rows(conn, _EXECUTIONS_FINISHED)],
        step_durations=[
            StepDurations(kind, type_, count, float(total), tuple(buckets))
            for kind, type_, count, total, *buckets in await _rows(conn, _STEP_DURATIONS, window)
        ],
        queues=[QueueDepth(name, *figures) for name, figures in sorted(queues.items())],
        workers=[Heartbeat(id_, age, tuple(qs or ())) for id_, age, qs in await _rows(conn, _WORKERS, window)],
        deliveries=[tuple(row) for row in await _rows(conn, _DELIVERIES)],
    )
