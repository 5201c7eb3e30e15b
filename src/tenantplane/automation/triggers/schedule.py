"""A schedule trigger's clock: cron due times in the trigger's time zone, arming the fire job of the next one,
and re-arming schedules whose fire job ended without arming the next.

A schedule fires once per due time however many workers run: the job is deduplicated by
`schedule:<trigger>:<due>` and the firing row is unique on (trigger_id, due_at) (see `firing.fire_schedule`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from croniter import CroniterBadDateError, croniter
from sqlalchemy import String, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.automation.triggers.models import TriggerFiring, WorkflowTrigger
from tenantplane.jobs.models import Job
from tenantplane.jobs.queue import enqueue

log = structlog.get_logger("tenantplane.automation.triggers")
SCHEDULE_FIRE = "automation.schedule_fire"


def now() -> datetime:
    return datetime.now(UTC)


def ever_fires(cron: str) -> bool:
    """A valid cron can still name no real date (`0 0 31 2 *`); croniter then gives up searching."""
    try:
        croniter(cron, now()).get_next(datetime)
    except CroniterBadDateError:
        return False
    return True


def next_due(config: dict[str, Any], after: datetime) -> datetime:
    """The first due time strictly after `after`, computed in the schedule's time zone."""
    zone = ZoneInfo(config.get("timezone") or "UTC")
    due: datetime = croniter(config["cron"], after.astimezone(zone)).get_next(datetime)
    return due.astimezone(UTC)


def last_due(config: dict[str, Any], at: datetime) -> datetime:
    """The most recent due time at or before `at` (cron has minute granularity)."""
    zone = ZoneInfo(config.get("timezone") or "UTC")
    minute = at.astimezone(zone).replace(second=0, microsecond=0)
    if croniter.match(config["cron"], minute):
        return minute.astimezone(UTC)
    due: datetime = croniter(config["cron"], minute).get_prev(datetime)
    return due.astimezone(UTC)


_ACTIVE_JOB = ("queued", "running", "failed")


async def arm(session: AsyncSession, trigger: WorkflowTrigger, due: datetime) -> None:
    trigger.next_fire_at = due
    key = f"schedule:{trigger.id}:{due.isoformat()}"
    payload = {"trigger_id": str(trigger.id), "due_at": due.isoformat()}
    await enqueue(session, kind=SCHEDULE_FIRE, payload=payload, tenant_id=trigger.tenant_id, run_at=due, dedupe_key=key)


async def cancel_pending_fires(session: AsyncSession, trigger: WorkflowTrigger) -> None:
    await session.execute(
        update(Job)
        .where(
            Job.tenant_id == trigger.tenant_id,
            Job.kind == SCHEDULE_FIRE,
            Job.status.in_(("queued", "failed")),
            Job.payload["trigger_id"].astext == str(trigger.id),
        )
        .values(status="cancelled", finished_at=now())
    )


async def rearm_schedules(session: AsyncSession) -> int:
    """Re-arm every enabled schedule (of any tenant) that has no active fire job: its last one went `dead` or
    was cancelled without queueing the next. The missed-fire policy applies: a past due time fires once, now.
    Returns how many were re-armed. Triggers another worker is re-arming (locked) are skipped."""
    active = (
        select(Job.id)
        .where(
            Job.kind == SCHEDULE_FIRE,
            Job.status.in_(_ACTIVE_JOB),
            Job.payload["trigger_id"].astext == func.cast(WorkflowTrigger.id, String),
        )
        .exists()
    )
    stmt = (
        select(WorkflowTrigger)
        .where(WorkflowTrigger.kind == "schedule", WorkflowTrigger.enabled.is_(True), ~active)
        .with_for_update(skip_locked=True)
    )
    stranded = (await session.scalars(stmt)).all()
    for trigger in stranded:
        current = now()
        due = trigger.next_fire_at if trigger.next_fire_at is not None else next_due(trigger.config, current)
        fired = await session.scalar(
            select(TriggerFiring.id).where(TriggerFiring.trigger_id == trigger.id, TriggerFiring.due_at == due)
        )
        if fired is not None:
            due = next_due(trigger.config, max(due, current))
        log.warning("schedule re-armed: its fire job had ended", trigger_id=str(trigger.id), due=due.isoformat())
        await arm(session, trigger, due)
    return len(stranded)
