"""The queue's SQL: enqueue in the caller's transaction, claim with SKIP LOCKED, fenced completion, takeover.

Kept as plain SQL on the hot path; every write that records a result checks the lease (owner + attempt).
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from tenantplane.jobs.registry import HandedOff, handler_for, handoff_offer

NOTIFY_CHANNEL = "tenantplane_jobs"
MAX_BACKOFF_SECONDS = 3600.0

_ENQUEUE = text(
    """
    WITH inserted AS (
        INSERT INTO jobs (tenant_id, kind, queue, payload, run_at, max_attempts, backoff_seconds, dedupe_key)
        VALUES (:tenant_id, :kind, :queue, CAST(:payload AS jsonb), COALESCE(:run_at, now()), :max_attempts,
                :backoff, :dedupe_key)
        ON CONFLICT (dedupe_key) WHERE status IN ('queued', 'running', 'failed', 'waiting') DO NOTHING
        RETURNING id, queue
    )
    SELECT id, pg_notify(:channel, queue) FROM inserted
    """
)
_EXISTING = text(
    "SELECT id FROM jobs WHERE dedupe_key = :dedupe_key AND status IN ('queued', 'running', 'failed', 'waiting')"
)
# A hand-off: the job goes in claimed by the enqueuing job's worker, which starts it once this transaction commits.
_ENQUEUE_CLAIMED = text(
    """
    INSERT INTO jobs (tenant_id, kind, queue, payload, max_attempts, backoff_seconds, status, attempts, lease_owner,
        lease_expires_at, started_at)
    VALUES (:tenant_id, :kind, :queue, CAST(:payload AS jsonb), :max_attempts, :backoff, 'running', 1, :owner,
        now() + make_interval(secs => :lease), clock_timestamp())
    RETURNING id
    """
)


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    payload: dict[str, Any] | None = None,
    tenant_id: uuid.UUID | None = None,
    queue: str | None = None,
    run_at: datetime | None = None,
    delay_seconds: float | None = None,
    dedupe_key: str | None = None,
    max_attempts: int | None = None,
    backoff_seconds: float | None = None,
) -> uuid.UUID:
    """Add a job in the caller's transaction: it exists (and wakes workers) only if that transaction commits.

    With a dedupe key, an active job with the same key is returned instead of adding a second one.
    """
    spec = handler_for(kind)
    if run_at is None and delay_seconds is not None:
        run_at = datetime.now().astimezone() + timedelta(seconds=delay_seconds)
    params = {
        "tenant_id": tenant_id,
        "kind": kind,
        "queue": queue or (spec.queue if spec else "default"),
        "payload": json.dumps(payload or {}),
        "run_at": run_at,
        "max_attempts": max_attempts or (spec.max_attempts if spec else 5),
        "backoff": backoff_seconds or (spec.backoff_seconds if spec else 2.0),
        "dedupe_key": dedupe_key,
        "channel": NOTIFY_CHANNEL,
    }
    offer = handoff_offer(session) if spec is not None and spec.handoff else None
    if offer is not None and run_at is None and dedupe_key is None and params["queue"] in offer.queues:
        claimed = {**params, "owner": offer.owner, "lease": offer.lease}
        handed = (await session.execute(_ENQUEUE_CLAIMED, claimed)).scalar_one()
        assert isinstance(handed, uuid.UUID)
        attempts, backoff = params["max_attempts"], params["backoff"]
        assert isinstance(attempts, int)
        assert isinstance(backoff, int | float)
        offer.taken = HandedOff(handed, kind, tenant_id, payload or {}, attempts, float(backoff))
        return handed
    job_id = (await session.execute(_ENQUEUE, params)).scalar()
    if job_id is None:  # deduplicated
        job_id = (await session.execute(_EXISTING, {"dedupe_key": dedupe_key})).scalar_one()
    assert isinstance(job_id, uuid.UUID)
    return job_id


@dataclass(frozen=True)
class ClaimedJob:
    id: uuid.UUID
    kind: str
    tenant_id: uuid.UUID | None
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    backoff_seconds: float


# Platform jobs (tenant_id NULL) take their turns as one more tenant: the nil UUID, which gen_random_uuid never makes.
# The same expression leads the index ix_jobs_fair_claim (migration 0018), which every step below descends.
_TENANT = "COALESCE(tenant_id, CAST('00000000-0000-0000-0000-000000000000' AS uuid))"
PLATFORM_TENANT = uuid.UUID(int=0)


def tenant_key(tenant_id: uuid.UUID | None) -> uuid.UUID:
    """The tenant a job takes its turns as in a claim: its own, or the nil UUID for platform jobs."""
    return PLATFORM_TENANT if tenant_id is None else tenant_id


_CLAIM_DUE = text(
    f"""
    WITH RECURSIVE held AS (
        SELECT * FROM unnest(CAST(:held_tenants AS uuid[]), CAST(:held_counts AS int[])) AS held(tenant, jobs)
    ), tenants AS (
        (
            SELECT {_TENANT} AS tenant FROM jobs WHERE status IN ('queued', 'failed') AND run_at <= now()
            ORDER BY 1 LIMIT 1
        )
        UNION ALL
        SELECT (
            SELECT {_TENANT} FROM jobs
            WHERE status IN ('queued', 'failed') AND {_TENANT} > tenants.tenant AND run_at <= now()
            ORDER BY 1 LIMIT 1
        )
        FROM tenants WHERE tenants.tenant IS NOT NULL
    ), candidates AS (
        SELECT due.id, due.run_at, tenants.tenant,
            row_number() OVER (PARTITION BY tenants.tenant ORDER BY due.run_at) AS turn
        FROM tenants CROSS JOIN unnest(CAST(:queues AS text[])) AS queues(name) CROSS JOIN LATERAL (
            SELECT id, run_at FROM jobs
            WHERE {_TENANT} = tenants.tenant AND queue = queues.name AND status IN ('queued', 'failed')
                AND run_at <= now()
            ORDER BY run_at
            LIMIT :window
        ) AS due
        WHERE tenants.tenant IS NOT NULL
    ), picked AS (
        -- Locked once, here: as `UPDATE ... WHERE id IN (this)` a plan could rescan it per row updated, each rescan
        -- passing over the rows already claimed to lock more, past the limit (seen with plans made on an empty table).
        SELECT jobs.id, fair.place, {_TENANT} AS tenant
        FROM unnest(ARRAY(
            SELECT id FROM candidates LEFT JOIN held USING (tenant)
            WHERE COALESCE(held.jobs, 0) < :per_tenant  -- a tenant at its cap takes no turn
            ORDER BY turn, run_at LIMIT :window
        ))
            WITH ORDINALITY AS fair(id, place)
        JOIN jobs ON jobs.id = fair.id
        WHERE jobs.status IN ('queued', 'failed') AND jobs.run_at <= now()
        ORDER BY fair.place
        LIMIT :limit
        FOR UPDATE OF jobs SKIP LOCKED
    ), capped AS (
        -- Up to its cap: rows past it stay queued (locked only until this commits), for a later claim to take.
        SELECT id FROM (
            SELECT picked.id, COALESCE(held.jobs, 0)
                + row_number() OVER (PARTITION BY picked.tenant ORDER BY picked.place) AS would_hold
            FROM picked LEFT JOIN held USING (tenant)
        ) AS ranked
        WHERE would_hold <= :per_tenant
    ), claimed AS (
        UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = :owner,
            lease_expires_at = now() + make_interval(secs => :lease), started_at = now(), updated_at = now()
        FROM capped WHERE jobs.id = capped.id
        RETURNING jobs.id, jobs.kind, jobs.tenant_id, jobs.payload, jobs.attempts, jobs.max_attempts,
            jobs.backoff_seconds
    ), next_due AS (
        SELECT EXTRACT(EPOCH FROM (min(run_at) - clock_timestamp())) AS seconds FROM jobs
        WHERE status IN ('queued', 'failed') AND queue = ANY(:queues) AND run_at > now()
            AND (SELECT count(*) FROM claimed) < :limit
    )
    SELECT claimed.*, next_due.seconds FROM next_due LEFT JOIN claimed ON true
    """
)


def claim_window(limit: int) -> int:
    """How many of each tenant's oldest due jobs a claim considers, and how many of all tenants' in turn order.

    Other workers' claims in flight hold some of them (they are locked, not yet running): a window a few batches
    deep lets this claim still fill its batch past them, as several workers draining one tenant's flood need, while
    keeping the statement's reads bounded however long that tenant's backlog is.
    """
    return max(4 * limit, 32)


async def claim_due(
    conn: AsyncConnection,
    *,
    owner: str,
    queues: list[str],
    limit: int,
    lease: float,
    held: Mapping[uuid.UUID, int] | None = None,
    per_tenant: int | None = None,
) -> tuple[list[ClaimedJob], float | None]:
    """Claim up to `limit` due jobs and, in the same statement when fewer were due, the seconds until the next job
    that is not due yet (None: none, or the claim was full).

    Fair across tenants: tenants take turns, one job each per turn, in the order of their oldest due job, so a
    tenant's flood of 50,000 due jobs shares each batch with the other tenants' jobs instead of running first. The
    statement walks the tenants that have due jobs (one index descent each; a tenant whose jobs are all later costs
    only its index entries, which the walk steps over) and reads at most a window of each one's oldest due jobs, so
    its cost follows the number of tenants with due jobs, not the length of any backlog.

    Due jobs this claim skipped are locked by another worker's claim, which runs them: they are no reason to claim
    again at once (asking for them in a separate statement, after this commit, saw them still queued, and N workers
    woken by one NOTIFY spun on each other's claims).

    `held` counts the jobs this worker runs now per tenant (`tenant_key`) and `per_tenant` caps them: a tenant at
    its cap gets nothing from this claim, so one tenant's flood never takes a worker's last slots.
    """
    held = held or {}
    params = {"owner": owner, "queues": queues, "limit": limit, "lease": lease, "window": claim_window(limit)}
    params |= {"held_tenants": list(held), "held_counts": list(held.values()), "per_tenant": per_tenant or limit}
    rows = (await conn.execute(_CLAIM_DUE, params)).all()
    jobs = [ClaimedJob(*row[:7]) for row in rows if row[0] is not None]
    seconds = rows[0][7] if rows else None
    return jobs, None if seconds is None else float(seconds)


async def claim(conn: AsyncConnection, *, owner: str, queues: list[str], limit: int, lease: float) -> list[ClaimedJob]:
    """Claim up to `limit` due jobs of `queues` for `owner`, each leased for `lease` seconds."""
    jobs, _ = await claim_due(conn, owner=owner, queues=queues, limit=limit, lease=lease)
    return jobs


_SUCCEED = text(
    """
    UPDATE jobs SET status = 'succeeded', finished_at = now(), updated_at = now(), lease_owner = NULL,
        lease_expires_at = NULL
    FROM unnest(CAST(:ids AS uuid[]), CAST(:attempts AS int[])) AS done(id, attempt)
    WHERE jobs.id = done.id AND jobs.attempts = done.attempt AND jobs.lease_owner = :owner
        AND jobs.status = 'running'
    RETURNING jobs.id
    """
)


async def succeed_many(conn: AsyncConnection, *, owner: str, done: list[tuple[uuid.UUID, int]]) -> set[uuid.UUID]:
    """Record successes in one statement; returns the ids whose lease still held (the others were refused)."""
    if not done:
        return set()
    rows = await conn.execute(_SUCCEED, {"ids": [d[0] for d in done], "attempts": [d[1] for d in done], "owner": owner})
    return {row[0] for row in rows}


def retry_delay(backoff_seconds: float, attempt: int) -> float:
    """Exponential backoff with full jitter in [0.5, 1.5) of the nominal delay, capped."""
    nominal = min(MAX_BACKOFF_SECONDS, backoff_seconds * (2 ** max(0, attempt - 1)))
    return float(nominal * (0.5 + random.random()))


_FAIL = text(
    """
    UPDATE jobs SET
        status = CASE WHEN :permanent OR attempts >= max_attempts THEN 'dead' ELSE 'failed' END,
        run_at = now() + make_interval(secs => :delay), last_error = :error, updated_at = now(),
        finished_at = CASE WHEN :permanent OR attempts >= max_attempts THEN now() END,
        lease_owner = NULL, lease_expires_at = NULL
    WHERE id = :id AND attempts = :attempt AND lease_owner = :owner AND status = 'running'
    RETURNING status
    """
)


async def fail(
    conn: AsyncConnection, *, owner: str, job: ClaimedJob, error: str, permanent: bool = False
) -> str | None:
    """Record a failed attempt: retried later with backoff, or `dead` after the last. None if the lease was lost."""
    row = await conn.execute(
        _FAIL,
        {
            "id": job.id,
            "attempt": job.attempts,
            "owner": owner,
            "error": error[:4000],
            "delay": retry_delay(job.backoff_seconds, job.attempts),
            "permanent": permanent,
        },
    )
    status = row.scalar()
    return str(status) if status is not None else None


_WAKE = text(
    """
    WITH woken AS (
        UPDATE jobs SET status = 'queued', run_at = now(), updated_at = now()
        WHERE id IN (
            SELECT id FROM jobs WHERE tenant_id = :tenant AND status = 'waiting'
            ORDER BY created_at LIMIT :count FOR UPDATE SKIP LOCKED
        )
        RETURNING queue
    )
    SELECT pg_notify(:channel, queue) FROM (SELECT DISTINCT queue FROM woken) AS queues
    """
)


async def wake_waiting(session: AsyncSession, *, tenant_id: uuid.UUID, count: int) -> None:
    """Queue again the oldest `count` held (`waiting`) jobs of a tenant, and wake the workers of their queues."""
    if count > 0:
        await session.execute(_WAKE, {"tenant": tenant_id, "count": count, "channel": NOTIFY_CHANNEL})


_RELEASE = text(
    """
    UPDATE jobs SET status = 'queued', attempts = attempts - 1, lease_owner = NULL, lease_expires_at = NULL,
        run_at = now(), updated_at = now()
    WHERE id = :id AND attempts = :attempt AND lease_owner = :owner AND status = 'running'
    """
)


async def release(conn: AsyncConnection, *, owner: str, job: ClaimedJob) -> None:
    """Give a job back untried (worker shutting down): the attempt does not count."""
    await conn.execute(_RELEASE, {"id": job.id, "attempt": job.attempts, "owner": owner})


_CANCELLED = text(
    """
    UPDATE jobs SET status = 'cancelled', finished_at = now(), updated_at = now(), lease_owner = NULL,
        lease_expires_at = NULL, last_error = COALESCE(last_error, 'cancelled')
    WHERE id = :id AND attempts = :attempt AND lease_owner = :owner AND status = 'running'
    """
)


async def mark_cancelled(conn: AsyncConnection, *, owner: str, job: ClaimedJob) -> None:
    await conn.execute(_CANCELLED, {"id": job.id, "attempt": job.attempts, "owner": owner})


_HEARTBEAT = text(
    """
    UPDATE jobs SET lease_expires_at = now() + make_interval(secs => :lease)
    FROM unnest(CAST(:ids AS uuid[]), CAST(:attempts AS int[])) AS held(id, attempt)
    WHERE jobs.id = held.id AND jobs.attempts = held.attempt AND jobs.lease_owner = :owner
        AND jobs.status = 'running'
    RETURNING jobs.id, jobs.cancel_requested
    """
)


async def heartbeat(
    conn: AsyncConnection, *, owner: str, held: list[tuple[uuid.UUID, int]], lease: float
) -> dict[uuid.UUID, bool]:
    """Renew the leases this worker holds; returns {job id: cancel requested} for those still held."""
    if not held:
        return {}
    rows = await conn.execute(
        _HEARTBEAT, {"ids": [h[0] for h in held], "attempts": [h[1] for h in held], "owner": owner, "lease": lease}
    )
    return {row[0]: bool(row[1]) for row in rows}


_TAKE_OVER = text(
    """
    UPDATE jobs SET
        status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'failed' END,
        finished_at = CASE WHEN attempts >= max_attempts THEN now() END,
        last_error = 'lease expired: worker ' || COALESCE(lease_owner, '?') || ' stopped renewing it',
        lease_owner = NULL, lease_expires_at = NULL, run_at = now(), updated_at = now()
    WHERE id IN (
        SELECT id FROM jobs WHERE status = 'running' AND lease_expires_at < now()
        ORDER BY lease_expires_at LIMIT 100 FOR UPDATE SKIP LOCKED
    )
    RETURNING id
    """
)


async def take_over_expired(conn: AsyncConnection) -> int:
    """Make jobs whose worker died claimable again (or dead when out of attempts)."""
    return len((await conn.execute(_TAKE_OVER)).all())


_NEXT_DUE = text(
    """
    SELECT EXTRACT(EPOCH FROM (min(run_at) - clock_timestamp())) FROM jobs
    WHERE status IN ('queued', 'failed') AND queue = ANY(:queues)
    """
)


async def seconds_until_next_due(conn: AsyncConnection, queues: list[str]) -> float | None:
    value = (await conn.execute(_NEXT_DUE, {"queues": queues})).scalar()
    return None if value is None else float(value)
