"""Paused SLA clocks: a record waiting on its requester stops its clocks counting, and resuming moves their times on.

A clock pauses only while it runs on time or late (`running`); a breached one stays breached. On resume its warning
and due times move on by the time it was paused (business time in its policy's calendar for business clocks), and
its timers are queued again for the new times; the timers of a paused clock find nothing to do (`timers.fire`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.jobs.queue import enqueue
from tenantplane.sla import policies
from tenantplane.sla.business_time import WorkingCalendar, add_business_time, business_duration
from tenantplane.sla.clocks import BREACH_JOB, WARN_JOB
from tenantplane.sla.models import SlaClock

_PAUSE = text(
    """
    UPDATE sla_clocks SET state = 'paused', paused_at = :at, updated_at = clock_timestamp()
    WHERE tenant_id = :tenant_id AND record_id = :record_id AND target = ANY(:targets) AND state = 'running'
        AND stopped_at IS NULL AND due_at > :at
    """
)


async def pause_clocks(
    session: AsyncSession, *, tenant_id: uuid.UUID, record_id: uuid.UUID, targets: Sequence[str], at: datetime
) -> None:
    """Stop the record's running clocks of `targets` from counting, from `at` (one statement; late ones keep running:
    they are breached already, and their breach is announced)."""
    params = {"tenant_id": tenant_id, "record_id": record_id, "targets": list(targets), "at": at}
    await session.execute(_PAUSE, params)


def _moved(
    moment: datetime, paused_at: datetime, at: datetime, clock: str, calendar: WorkingCalendar | None
) -> datetime:
    """`moment` (a time after `paused_at`) as far after `at` as it was after `paused_at`, in the clock's time."""
    if clock == "business" and calendar is not None:
        return add_business_time(at, business_duration(paused_at, moment, calendar), calendar)
    return at + (moment - paused_at)


async def resume_clocks(session: AsyncSession, *, tenant_id: uuid.UUID, record_id: uuid.UUID, at: datetime) -> None:
    """Let the record's paused clocks count again from `at`: their warning and due times move on by the pause, and
    their timers are queued for the new times (a copy of an old one finds nothing early, and queues itself again)."""
    stmt = (
        select(SlaClock)
        .where(SlaClock.tenant_id == tenant_id, SlaClock.record_id == record_id, SlaClock.state == "paused")
        .with_for_update()
    )
    calendars: dict[uuid.UUID | None, WorkingCalendar | None] = {}
    for clock in await session.scalars(stmt):
        if clock.policy_id not in calendars:
            found = (
                await policies.policy_with_calendar(session, tenant_id, clock.policy_id) if clock.policy_id else None
            )
            calendars[clock.policy_id] = found[1] if found else None
        calendar, paused_at = calendars[clock.policy_id], clock.paused_at or at
        if clock.warned_at is None and clock.warn_at > paused_at:
            clock.warn_at = _moved(clock.warn_at, paused_at, at, clock.clock, calendar)
            await enqueue(
                session, kind=WARN_JOB, payload={"clock_id": str(clock.id)}, tenant_id=tenant_id, run_at=clock.warn_at
            )
        clock.due_at = _moved(clock.due_at, paused_at, at, clock.clock, calendar)
        clock.state, clock.paused_at = "running", None
        await enqueue(
            session, kind=BREACH_JOB, payload={"clock_id": str(clock.id)}, tenant_id=tenant_id, run_at=clock.due_at
        )
    await session.flush()
