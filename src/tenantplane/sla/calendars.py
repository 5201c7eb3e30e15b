"""Business calendars of a tenant: create, read, change, delete, and holidays imported from an iCalendar file.

A calendar that a policy uses cannot be deleted (409); a bad .ics is a 422 naming `ics`, and nothing changes.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import dateutil.rrule
import icalendar
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.identity.auth import Principal
from tenantplane.kit.errors import Conflict, NotFound, ValidationFailed
from tenantplane.kit.pagination import paginate
from tenantplane.sla.business_time import WorkingCalendar
from tenantplane.sla.models import BusinessCalendar, SlaPolicy
from tenantplane.sla.schemas import CalendarIn, HolidayImportIn

MAX_HOLIDAYS = 5000
MAX_EVENT_DAYS = 366  # one VEVENT spanning more than a year of holidays is a mistake, not a closure
RECUR_YEARS = 3  # a recurring holiday counts this year and the next three: re-import to go further
# A holiday recurs yearly. dateutil walks an impossible rule (FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30) to the year 9999
# (~0.25 s), so a document holds at most RECUR_EVENTS recurring events; the import expands them in a thread.
RECUR_EVENTS = 30


def calendars_of(tenant_id: uuid.UUID) -> Select[tuple[BusinessCalendar]]:
    return select(BusinessCalendar).where(BusinessCalendar.tenant_id == tenant_id)


async def get_calendar(
    session: AsyncSession, tenant_id: uuid.UUID, calendar_id: uuid.UUID, *, lock: bool = False
) -> BusinessCalendar:
    stmt = calendars_of(tenant_id).where(BusinessCalendar.id == calendar_id)
    found = await session.scalar(stmt.with_for_update() if lock else stmt)
    if found is None:
        raise NotFound(f"No business calendar {calendar_id} in this tenant.")
    return found


async def list_calendars(
    session: AsyncSession, tenant_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[Sequence[BusinessCalendar], str | None]:
    return await paginate(
        session,
        calendars_of(tenant_id),
        created_col=BusinessCalendar.created_at,
        id_col=BusinessCalendar.id,
        cursor=cursor,
        limit=limit,
    )


def working_calendar(calendar: BusinessCalendar) -> WorkingCalendar:
    """The pure calendar that business time is counted in."""
    spans = {day: [(a, b) for a, b in intervals] for day, intervals in calendar.working_hours.items()}
    return WorkingCalendar.of(calendar.time_zone, spans, calendar.holidays)


async def _name_is_free(session: AsyncSession, tenant_id: uuid.UUID, name: str, but: uuid.UUID | None = None) -> None:
    stmt = calendars_of(tenant_id).where(BusinessCalendar.name == name)
    if but is not None:
        stmt = stmt.where(BusinessCalendar.id != but)
    if await session.scalar(stmt) is not None:
        raise ValidationFailed.field("name", f"a calendar named {name!r} exists already")


def _dates(days: Sequence[date]) -> list[str]:
    return sorted({d.isoformat() for d in days})


async def create_calendar(session: AsyncSession, *, actor: Principal, data: CalendarIn) -> BusinessCalendar:
    await _name_is_free(session, actor.tenant, data.name)
    calendar = BusinessCalendar(
        tenant_id=actor.tenant,
        name=data.name,
        time_zone=data.time_zone,
        working_hours=data.stored_hours(),
        holidays=_dates(data.holidays),
    )
    session.add(calendar)
    await session.flush()
    await _audit(session, actor, "business_calendar.created", calendar)
    return calendar


async def update_calendar(
    session: AsyncSession, *, actor: Principal, calendar: BusinessCalendar, data: CalendarIn
) -> BusinessCalendar:
    """Change a calendar; clocks already running keep the due times they started with."""
    await _name_is_free(session, actor.tenant, data.name, but=calendar.id)
    calendar.name, calendar.time_zone = data.name, data.time_zone
    calendar.working_hours, calendar.holidays = data.stored_hours(), _dates(data.holidays)
    await session.flush()
    await _audit(session, actor, "business_calendar.updated", calendar)
    return calendar


async def delete_calendar(session: AsyncSession, *, actor: Principal, calendar: BusinessCalendar) -> None:
    using = select(SlaPolicy.name).where(SlaPolicy.tenant_id == actor.tenant, SlaPolicy.calendar_id == calendar.id)
    names = list((await session.scalars(using)).all())
    if names:
        raise Conflict(f"The calendar is used by the SLA policies {', '.join(sorted(names))}.")
    await _audit(session, actor, "business_calendar.deleted", calendar)
    await session.delete(calendar)
    await session.flush()


def holidays_in(ics: str, *, today: date | None = None) -> list[date]:
    """Every date an iCalendar document's events cover (DTSTART to DTEND, end exclusive; a single day without
    DTEND). A recurring event (a yearly RRULE, RDATE, less EXDATE) counts its occurrences from the start of this
    year to the end of the third year after it (`RECUR_YEARS`), expanded by dateutil. ValueError when unreadable."""
    try:
        document = icalendar.Calendar.from_ical(ics)
    except Exception as exc:  # the parser fails on garbage with many exception types, never on a good file
        raise ValueError(f"not an iCalendar document ({exc})") from exc
    this_year = (today or datetime.now(UTC).date()).year
    horizon = (date(this_year, 1, 1), date(this_year + RECUR_YEARS + 1, 1, 1))
    found: set[date] = set()
    events = document.walk("VEVENT")
    if sum("RRULE" in event for event in events) > RECUR_EVENTS:
        raise ValueError(f"at most {RECUR_EVENTS} recurring events per document")
    for event in events:
        start = event.get("DTSTART")
        if start is None:
            raise ValueError("a VEVENT has no DTSTART")
        first = _day(start.dt)
        end = event.get("DTEND")
        last = _day(end.dt) if end is not None else first + timedelta(days=1)
        if last == first:
            last = first + timedelta(days=1)  # a timed event within one day closes that day
        if not first < last <= first + timedelta(days=MAX_EVENT_DAYS):
            raise ValueError(f"the event {event.get('SUMMARY', '')!s} spans {first} to {last}")
        days = (last - first).days
        for day in _occurrences(event, first, horizon):
            found.update(day + timedelta(days=n) for n in range(days))
    return sorted(found)


def _occurrences(event: icalendar.cal.Component, first: date, horizon: tuple[date, date]) -> list[date]:
    """The first days of the event's occurrences: its DTSTART alone, or (recurring) those within the horizon."""
    rule, extra = event.get("RRULE"), _listed_days(event.get("RDATE"))
    if rule is None and not extra:
        return [first]
    days = {first, *extra}
    if rule is not None:
        days |= _rule_days(rule, first, horizon)
    days -= _listed_days(event.get("EXDATE"))
    return sorted(d for d in days if horizon[0] <= d < horizon[1])


def _rule_days(rule: icalendar.vRecur, first: date, horizon: tuple[date, date]) -> set[date]:
    """The yearly rule's occurrences from `first` (its DTSTART) up to the end of the horizon."""
    frequencies = [str(f).upper() for f in rule.get("FREQ", [])]
    if frequencies != ["YEARLY"]:
        raise ValueError(f"a holiday's rule recurs yearly, not {','.join(frequencies) or 'without FREQ'}")
    # In local dates: an all-day rule's UNTIL may be a UTC instant (the usual `UNTIL=…Z`) or a date; it ends that day.
    kept = {key: value for key, value in rule.items() if key != "UNTIL"}
    plain: str = icalendar.vRecur(kept).to_ical().decode()  # type: ignore[no-untyped-call]
    try:
        until = min(_day(rule["UNTIL"][0]), horizon[1]) if rule.get("UNTIL") else horizon[1]
        text = plain if rule.get("COUNT") else f"{plain};UNTIL={until:%Y%m%d}T000000"
        recurrence = dateutil.rrule.rrulestr(text, dtstart=datetime.combine(first, time()))
        found = recurrence.between(datetime.combine(horizon[0], time()), datetime.combine(horizon[1], time()), inc=True)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValueError(f"unreadable recurrence rule {plain!r} ({exc})") from exc
    return {moment.date() for moment in found}


def _listed_days(prop: object) -> set[date]:
    """The dates of an RDATE / EXDATE property (one or several lines of them)."""
    lines = prop if isinstance(prop, list) else [prop] if prop is not None else []
    return {_day(value.dt) for line in lines for value in getattr(line, "dts", [])}


def _day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise ValueError(f"{value!r} is not a date")


async def import_holidays(
    session: AsyncSession, *, actor: Principal, calendar: BusinessCalendar, data: HolidayImportIn
) -> BusinessCalendar:
    try:
        imported = await asyncio.to_thread(holidays_in, data.ics)  # rules take CPU time: not on the event loop
    except ValueError as exc:
        raise ValidationFailed.field("ics", str(exc)) from exc
    if not imported:
        raise ValidationFailed.field("ics", "the document has no events")
    kept = [] if data.replace else [date.fromisoformat(d) for d in calendar.holidays]
    holidays = _dates([*kept, *imported])
    if len(holidays) > MAX_HOLIDAYS:
        raise ValidationFailed.field("ics", f"a calendar holds at most {MAX_HOLIDAYS} holidays")
    calendar.holidays = holidays
    await session.flush()
    await _audit(session, actor, "business_calendar.holidays_imported", calendar, imported=len(imported))
    return calendar


async def _audit(
    session: AsyncSession, actor: Principal, action: str, calendar: BusinessCalendar, **more: object
) -> None:
    await record_event(
        session,
        actor=actor,
        action=action,
        object_type="business_calendar",
        object_id=calendar.id,
        summary={"name": calendar.name, **more},
    )
