"""Operator actions on jobs, in the caller's transaction: retry a finished job, request cancellation.

A running job is cancelled by its worker at the next heartbeat (the handler task is cancelled).
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.jobs.models import Job
from tenantplane.jobs.queue import NOTIFY_CHANNEL


async def retry(session: AsyncSession, job: Job) -> None:
    """Queue a finished job again now with a fresh set of attempts (the last error stays visible)."""
    await session.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(
            status="queued",
            attempts=0,
            run_at=func.now(),
            finished_at=None,
            cancel_requested=False,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=func.now(),
        )
    )
    await session.execute(text("SELECT pg_notify(:channel, :queue)"), {"channel": NOTIFY_CHANNEL, "queue": job.queue})


async def cancel(session: AsyncSession, job_ids: list[uuid.UUID]) -> None:
    """Cancel jobs: those not running at once, running ones by their worker at its next heartbeat."""
    if not job_ids:
        return
    await session.execute(
        update(Job)
        .where(Job.id.in_(job_ids), Job.status.in_(("queued", "failed", "waiting")))
        .values(status="cancelled", finished_at=func.now(), updated_at=func.now())
    )
    await session.execute(update(Job).where(Job.id.in_(job_ids), Job.status == "running").values(cancel_requested=True))


async def status_of(session: AsyncSession, job_id: uuid.UUID) -> str | None:
    status: str | None = await session.scalar(select(Job.status).where(Job.id == job_id))
    return status
