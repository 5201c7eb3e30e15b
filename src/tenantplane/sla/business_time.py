"""Business time: durations counted only while a calendar is open (its working hours, in its time zone, minus holidays).

Pure (no I/O): a `WorkingCalendar` in, instants and durations out; every instant is timezone-aware, every answer UTC.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
# A calendar open one hour a year would need a year per hour asked; past this many days nothing more is searched.
MAX_DAYS_SEARCHED = 366 * 30

Interval = tuple[int, int]
"""Minutes since local midnight, start inclusive, end exclusive (0 ≤ start < end ≤ 1440)."""


class ClosedCalendar(ValueError):
    """The calendar has no open time in reach: nothing can be counted in it."""


@dataclass(frozen=True)
class WorkingCalendar:
    """When work happens: open intervals per weekday (0 = Monday) in local time of `zone`, and closed dates."""

    zone: ZoneInfo
    hours: Mapping[int, Sequence[Interval]]
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not any(self.hours.get(day) for day in range(7)):
            raise ClosedCalendar("the calendar is open on no weekday")

    @classmethod
    def of(
        cls, zone: str, hours: Mapping[str, Sequence[tuple[str, str]]], holidays: Sequence[date | str] = ()
    ) -> WorkingCalendar:
        """From the stored shape: `{"mon": [["09:00", "17:00"]]}` and ISO dates."""
        by_day = {
            WEEKDAYS.index(day): tuple(sorted((minutes(a), minutes(b)) for a, b in spans))
            for day, spans in hours.items()
        }
        closed = frozenset(d if isinstance(d, date) else date.fromisoformat(d) for d in holidays)
        return cls(ZoneInfo(zone), by_day, closed)


def minutes(clock: str) -> int:
    """ "09:30" → 570; "24:00" is the end of the day (1440). ValueError for anything else."""
    hours, _, mins = clock.partition(":")
    if len(hours) != 2 or len(mins) != 2 or not (hours.isdigit() and mins.isdigit()):
        raise ValueError(f"{clock!r} is not HH:MM")
    value = int(hours) * 60 + int(mins)
    if int(mins) > 59 or value > MINUTES_PER_DAY:
        raise ValueError(f"{clock!r} is not a time of day (00:00 to 24:00)")
    return value


def _local(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The instant a local wall time is first shown. A time skipped by a DST change (02:30 on the spring night in
    Berlin) is the change itself, when the clock resumes; a time shown twice (autumn) is its first showing."""
    if minute == MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), 0
    wall = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone)
    instant = wall.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return instant
    # Skipped: the change lies between the two readings of the gap; find its second by halving.
    before, after = wall.replace(fold=1).astimezone(UTC), instant
    offset = after.astimezone(zone).utcoffset()
    while after - before > timedelta(seconds=1):
        middle = before + timedelta(seconds=(after - before).total_seconds() // 2)
        before, after = (before, middle) if middle.astimezone(zone).utcoffset() == offset else (middle, after)
    return after


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("business time needs timezone-aware instants")
    return instant.astimezone(UTC)


def open_intervals(calendar: WorkingCalendar, since: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The calendar's open intervals from `since` on (the first one clipped to start there), in order, as UTC."""
    since = _aware(since)
    day = since.astimezone(calendar.zone).date() - timedelta(days=1)  # a late interval of the day before may reach in
    for _ in range(MAX_DAYS_SEARCHED):
        if day not in calendar.holidays:
            for start_minute, end_minute in calendar.hours.get(day.weekday(), ()):
                start, end = _local(day, start_minute, calendar.zone), _local(day, end_minute, calendar.zone)
                if end > since and end > start:
                    yield max(start, since), end
        day += timedelta(days=1)
    raise ClosedCalendar(f"the calendar has no open time within {MAX_DAYS_SEARCHED} days")


def add_business_time(start: datetime, duration: timedelta, calendar: WorkingCalendar) -> datetime:
    """The instant when `duration` of open time has passed since `start` (`start` itself for no duration).

    An end that falls exactly on a closing time is that closing time, not the next opening, so adding in steps
    lands where adding at once does.
    """
    if duration < timedelta(0):
        raise ValueError("a business duration cannot be negative")
    start = _aware(start)
    if duration == timedelta(0):
        return start
    remaining = duration
    for opens, closes in open_intervals(calendar, start):
        if remaining <= closes - opens:
            return opens + remaining
        remaining -= closes - opens
    raise AssertionError("unreachable: open_intervals raises when it runs out")


def business_duration(start: datetime, end: datetime, calendar: WorkingCalendar) -> timedelta:
    """The open time between two instants (negative when `end` is before `start`)."""
    start, end = _aware(start), _aware(end)
    if end < start:
        return -business_duration(end, start, calendar)
    total = timedelta(0)
    for opens, closes in open_intervals(calendar, start):
        if opens >= end:
            break
        total += min(closes, end) - opens
    return total


def wall_or_business(start: datetime, duration: timedelta, calendar: WorkingCalendar | None) -> datetime:
    """`start + duration` on the wall clock without a calendar, else in the calendar's business time."""
    return _aware(start) + duration if calendar is None else add_business_time(start, duration, calendar)
