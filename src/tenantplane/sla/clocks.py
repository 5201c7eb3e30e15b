"""SLA clocks of records: started with their warning and breach timers in one statement, stopped as the record moves.

Everything runs in the caller's transaction. The timers are jobs (`sla.warn`, `sla.breach`); what they fire is in
`timers.py`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, ScalarSelect, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from tenantplane.jobs.queue import NOTIFY_CHANNEL
from tenantplane.jobs.registry import handler_for
from tenantplane.sla import policies
from tenantplane.sla.business_time import WorkingCalendar, add_business_time
from tenantplane.sla.models import SlaClock, SlaPolicy
from tenantplane.sla.schemas import ClockRead

STEP_TARGET = "approval_step"
WARN_JOB = "sla.warn"
BREACH_JOB = "sla.breach"

# The clocks and their timer jobs, as CTEs any statement can carry (binds :sla_clocks, :sla_jobs, :sla_channel);
# `sla_notify` runs only where the statement's result reads it (`SLA_NOTIFIED`).
START_CTES = """sla_clock AS (
        INSERT INTO sla_clocks (id, tenant_id, record_type, record_id, catalog_item_id, policy_id, target, step,
            clock, minutes, started_at, warn_at, due_at)
        SELECT c.id, c.tenant_id, c.record_type, c.record_id, c.catalog_item_id, c.policy_id, c.target, c.step,
            c.clock, c.minutes, c.started_at, c.warn_at, c.due_at
        FROM jsonb_populate_recordset(NULL::sla_clocks, CAST(:sla_clocks AS jsonb)) AS c
        ON CONFLICT (record_id, target, step) DO NOTHING
        RETURNING id
    ), sla_job AS (
        INSERT INTO jobs (tenant_id, kind, queue, payload, run_at, max_attempts, backoff_seconds)
        SELECT j.tenant_id, j.kind, j.queue, j.payload, j.run_at, j.max_attempts, j.backoff_seconds
        FROM jsonb_populate_recordset(NULL::jobs, CAST(:sla_jobs AS jsonb)) AS j
        WHERE CAST(j.payload->>'clock_id' AS uuid) IN (SELECT id FROM sla_clock)
        RETURNING queue
    ), sla_notify AS (
        SELECT pg_notify(:sla_channel, queue) FROM (SELECT DISTINCT queue FROM sla_job) AS queues
    )"""
SLA_NOTIFIED = "(SELECT count(*) FROM sla_notify)"
_START = text(f"WITH {START_CTES} SELECT {SLA_NOTIFIED}")

# A paused clock (its record awaited the requester) counted nothing since it paused, so it ends as it stood: met.
_STOP = text(
    """
    UPDATE sla_clocks SET
        state = CASE WHEN state = 'breached' THEN 'breached' WHEN :cancel THEN 'cancelled'
            WHEN state = 'paused' OR :at <= due_at THEN 'met' ELSE 'breached' END,
        met_at = CASE WHEN state IN ('running', 'paused') AND NOT :cancel AND (state = 'paused' OR :at <= due_at)
            THEN :at END,
        paused_at = NULL, stopped_at = :at, updated_at = clock_timestamp()
    WHERE tenant_id = :tenant_id AND record_id = :record_id AND target = ANY(:targets) AND stopped_at IS NULL
        AND state IN ('running', 'paused', 'breached')
        AND (CAST(:step AS integer) IS NULL OR step = CAST(:step AS integer))
    """
)


@dataclass(frozen=True)
class PlannedClock:
    """When one target of a record falls due and warns, counted from `started_at` in its clock."""

    target: str
    clock: str
    minutes: int
    started_at: datetime
    warn_at: datetime
    due_at: datetime
    step: int = 0  # the ladder rung of an approval_step clock


def plan_clock(
    target: dict[str, object], *, started_at: datetime, warn_percent: int, calendar: WorkingCalendar | None
) -> PlannedClock:
    """Due after `minutes` (business time in the calendar, or wall clock), warning at `warn_percent` of them."""
    minutes = int(str(target["minutes"]))
    clock = str(target.get("clock", "business"))
    span, warn_span = timedelta(minutes=minutes), timedelta(minutes=minutes) * warn_percent / 100
    warn_span = timedelta(microseconds=round(warn_span / timedelta(microseconds=1)))
    if clock == "business" and calendar is not None:
        due_at, warn_at = (
            add_business_time(started_at, span, calendar),
            add_business_time(started_at, warn_span, calendar),
        )
    else:
        clock, due_at, warn_at = "wall", started_at + span, started_at + warn_span
    step = int(str(target.get("step", 0)))
    return PlannedClock(str(target["target"]), clock, minutes, started_at, warn_at, due_at, step)


@dataclass(frozen=True)
class ClockStart:
    """Clocks planned for one record, and the binds that write them and their timers (`START_CTES`)."""

    planned: list[PlannedClock]
    params: dict[str, str]


def plan_start(
    policy: SlaPolicy,
    calendar: WorkingCalendar | None,
    *,
    tenant_id: uuid.UUID,
    record_type: str,
    record_id: uuid.UUID,
    targets: Iterable[str],
    at: datetime,
    steps: Iterable[int] = (),
    catalog_item_id: uuid.UUID | None = None,
) -> ClockStart | None:
    """The policy's clocks of `targets` (those it sets) and of the approval `steps` (rungs) it times, starting at
    `at`; None when it sets none of them. `catalog_item_id`: a service request's item, which its clocks carry.
    Pure."""
    wanted, rungs = set(targets), set(steps)
    planned = [
        plan_clock(t, started_at=at, warn_percent=policy.warn_percent, calendar=calendar)
        for t in policy.targets
        if t["target"] in wanted or (t["target"] == STEP_TARGET and t.get("step") in rungs)
    ]
    if not planned:
        return None
    clocks, jobs = [], []
    for plan in planned:
        clock_id = uuid.uuid4()
        clocks.append(
            {
                "id": str(clock_id),
                "tenant_id": str(tenant_id),
                "record_type": record_type,
                "record_id": str(record_id),
                "catalog_item_id": None if catalog_item_id is None else str(catalog_item_id),
                "policy_id": str(policy.id),
                "target": plan.target,
                "step": plan.step,
                "clock": plan.clock,
                "minutes": plan.minutes,
                "started_at": plan.started_at.isoformat(),
                "warn_at": plan.warn_at.isoformat(),
                "due_at": plan.due_at.isoformat(),
            }
        )
        jobs += [_job(tenant_id, WARN_JOB, clock_id, plan.warn_at), _job(tenant_id, BREACH_JOB, clock_id, plan.due_at)]
    params = {"sla_clocks": json.dumps(clocks), "sla_jobs": json.dumps(jobs), "sla_channel": NOTIFY_CHANNEL}
    return ClockStart(planned, params)


async def start_clocks(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    record_type: str,
    record_id: uuid.UUID,
    policy_id: uuid.UUID,
    targets: Iterable[str],
    at: datetime,
    service_level: tuple[SlaPolicy, WorkingCalendar | None] | None = None,
    steps: Iterable[int] = (),
    catalog_item_id: uuid.UUID | None = None,
) -> list[PlannedClock]:
    """Start the policy's clocks of `targets` at `at`, with their timers; a clock a record already has is kept.
    One query for the policy (none when `service_level` brings it), one statement for the clocks and jobs."""
    found = service_level or await policies.policy_with_calendar(session, tenant_id, policy_id)
    if found is None:
        return []
    start = plan_start(
        found[0],
        found[1],
        tenant_id=tenant_id,
        record_type=record_type,
        record_id=record_id,
        targets=targets,
        at=at,
        steps=steps,
        catalog_item_id=catalog_item_id,
    )
    if start is None:
        return []
    await session.execute(_START, start.params)
    return start.planned


def _job(tenant_id: uuid.UUID, kind: str, clock_id: uuid.UUID, run_at: datetime) -> dict[str, object]:
    spec = handler_for(kind)
    return {
        "tenant_id": str(tenant_id),
        "kind": kind,
        "queue": spec.queue if spec else "default",
        "payload": {"clock_id": str(clock_id)},
        "run_at": run_at.isoformat(),
        "max_attempts": spec.max_attempts if spec else 5,
        "backoff_seconds": spec.backoff_seconds if spec else 2.0,
    }


async def stop_clocks(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    record_id: uuid.UUID,
    targets: Sequence[str],
    at: datetime,
    cancel: bool = False,
    step: int | None = None,
) -> None:
    """Stop a record's clocks of `targets` (with `step`, only that rung's): met when stopped by their due time, else
    breached (its breach job then announces it); `cancel` (the record was withdrawn) makes a clock that has not
    breached `cancelled`."""
    if targets:
        params = {
            "tenant_id": tenant_id,
            "record_id": record_id,
            "targets": list(targets),
            "at": at,
            "cancel": cancel,
            "step": step,
        }
        await session.execute(_STOP, params)


async def clocks_of(
    session: AsyncSession, tenant_id: uuid.UUID, record_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[SlaClock]]:
    """The clocks of these records, by record, in target order."""
    if not record_ids:
        return {}
    stmt = (
        select(SlaClock)
        .where(SlaClock.tenant_id == tenant_id, SlaClock.record_id.in_(record_ids))
        .order_by(SlaClock.record_id, SlaClock.started_at, SlaClock.target, SlaClock.step)
    )
    found: dict[uuid.UUID, list[SlaClock]] = {}
    for clock in await session.scalars(stmt):
        found.setdefault(clock.record_id, []).append(clock)
    return found


def next_due(record_id: ColumnElement[uuid.UUID] | InstrumentedAttribute[uuid.UUID]) -> ScalarSelect[datetime]:
    """The earliest due time of a record's clocks that still run (NULL when none do): to sort queues by time left."""
    return (
        select(func.min(SlaClock.due_at))
        .where(SlaClock.record_id == record_id, SlaClock.stopped_at.is_(None), SlaClock.state != "paused")
        .scalar_subquery()
    )


def planned_read(plan: PlannedClock, now: datetime | None = None) -> ClockRead:
    """What a clock just started reads as, without reading it back."""
    left = plan.due_at - (now or datetime.now(UTC))
    return ClockRead(
        target=plan.target,
        step=plan.step,
        clock=plan.clock,
        minutes=plan.minutes,
        state="running",
        started_at=plan.started_at,
        warn_at=plan.warn_at,
        due_at=plan.due_at,
        stopped_at=None,
        met_at=None,
        warned_at=None,
        breached_at=None,
        seconds_left=int(left.total_seconds()),
    )


def clock_read(clock: SlaClock, now: datetime | None = None) -> ClockRead:
    read = ClockRead.model_validate(clock)
    if clock.stopped_at is None:
        left = clock.due_at - (clock.paused_at or now or datetime.now(UTC))  # a paused clock's time left stands still
        read = read.model_copy(update={"seconds_left": int(left.total_seconds())})
    return read
