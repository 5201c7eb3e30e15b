"""What an SLA timer does when its job runs: announce a clock's warning or breach exactly once, never early.

The clock row is locked and its state checked first, so a duplicate or late job changes nothing; a job that runs
before its time queues itself again for that time.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.jobs.queue import enqueue
from tenantplane.notifications.service import notify_users
from tenantplane.sla.clocks import BREACH_JOB, WARN_JOB
from tenantplane.sla.hooks import ClockFired, Moment, run_fired_hooks
from tenantplane.sla.models import SlaClock


async def fire(session: AsyncSession, *, tenant_id: uuid.UUID, clock_id: uuid.UUID, moment: Moment) -> str:
    """Announce the clock's `moment` if it is due and not announced yet; returns what happened (for the log)."""
    stmt = (
        select(SlaClock, func.now())
        .where(SlaClock.tenant_id == tenant_id, SlaClock.id == clock_id)
        .with_for_update(of=SlaClock)
    )
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        return "gone"
    clock: SlaClock = row[0]
    now: datetime = row[1]
    if moment == "warning":
        if clock.warned_at is not None or clock.state != "running" or clock.stopped_at is not None:
            return "nothing to warn"
        if now < clock.warn_at:
            await enqueue(
                session, kind=WARN_JOB, payload={"clock_id": str(clock.id)}, tenant_id=tenant_id, run_at=clock.warn_at
            )
            return "early"
        clock.warned_at = now
    else:
        if clock.breached_at is not None or clock.state not in ("running", "breached"):
            return "nothing to breach"
        if now < clock.due_at:
            await enqueue(
                session, kind=BREACH_JOB, payload={"clock_id": str(clock.id)}, tenant_id=tenant_id, run_at=clock.due_at
            )
            return "early"
        clock.state, clock.breached_at = "breached", now
    await session.flush()
    await _announce(session, clock, moment)
    return moment


async def _announce(session: AsyncSession, clock: SlaClock, moment: Moment) -> None:
    """The record's domain writes its timeline entry and names who to tell; they get a notice, the audit an event."""
    fired = ClockFired(clock, moment)
    await run_fired_hooks(session, fired)
    if fired.recipients:
        await notify_users(
            session,
            tenant_id=clock.tenant_id,
            user_ids=sorted(fired.recipients),
            subject=fired.subject or f"SLA {moment}: {clock.target}",
            body=f"{fired.subject}\n\nDue {clock.due_at.isoformat()} ({clock.minutes} min, {clock.clock} time).",
            link=fired.link,
        )
    await record_event(
        session,
        actor=None,
        action="sla_clock.warned" if moment == "warning" else "sla_clock.breached",
        object_type=clock.record_type,
        object_id=clock.record_id,
        tenant_id=clock.tenant_id,
        summary={"target": clock.target, "due_at": clock.due_at, "recipients": len(fired.recipients)},
    )
