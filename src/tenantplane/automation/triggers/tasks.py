"""The job that fires one due time of a schedule trigger, inside the job's fenced transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

from tenantplane.automation.triggers import firing, schedule
from tenantplane.jobs.registry import JobContext, PermanentFailure, job_handler, worker_maintenance
from tenantplane.kit.db import Database


@job_handler(schedule.SCHEDULE_FIRE, max_attempts=10, backoff_seconds=1.0)
async def schedule_fire(ctx: JobContext) -> None:
    if ctx.tenant_id is None:
        raise PermanentFailure("schedule triggers belong to a tenant")
    async with ctx.transaction(succeed=True) as session:
        await firing.fire_schedule(
            session,
            tenant_id=ctx.tenant_id,
            trigger_id=uuid.UUID(ctx.payload["trigger_id"]),
            due=datetime.fromisoformat(ctx.payload["due_at"]),
        )


@worker_maintenance
async def rearm_schedules(db: Database) -> None:
    """A schedule whose fire job went dead (or was cancelled) gets its next due time queued again."""
    async with db.transaction() as session:
        await schedule.rearm_schedules(session)
