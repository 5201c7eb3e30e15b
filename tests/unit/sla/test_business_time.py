"""Business time (sla/business_time.py): adding and measuring open time in a calendar, across DST and holidays.

Properties over random calendars and instants: monotonic, additive, inverse of each other, closed time never counts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenantplane.sla.business_time import (
    ClosedCalendar,
    WorkingCalendar,
    add_business_time,
    business_duration,
    minutes,
    open_intervals,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEK = {day: [("09:00", "17:00")] for day in ("mon", "tue", "wed", "thu", "fri")}
OFFICE = WorkingCalendar.of("Europe/Berlin", WEEK)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def test_two_business_hours_from_friday_afternoon_end_on_monday_morning() -> None:
    assert add_business_time(berlin(2026, 12, 4, 16, 30), timedelta(hours=2), OFFICE) == berlin(2026, 12, 7, 10, 30)


def test_time_added_before_opening_starts_at_opening() -> None:
    assert add_business_time(berlin(2026, 12, 7, 6, 0), timedelta(minutes=1), OFFICE) == berlin(2026, 12, 7, 9, 1)


def test_an_end_on_closing_time_is_closing_time_not_the_next_opening() -> None:
    assert add_business_time(berlin(2026, 12, 7, 9, 0), timedelta(hours=8), OFFICE) == berlin(2026, 12, 7, 17, 0)


def test_no_duration_is_the_start_itself_even_when_closed() -> None:
    saturday = berlin(2026, 12, 5, 12, 0)
    assert add_business_time(saturday, timedelta(0), OFFICE) == saturday


def test_holidays_are_skipped() -> None:
    calendar = WorkingCalendar.of("Europe/Berlin", WEEK, ["2026-12-24", "2026-12-25"])
    wednesday = berlin(2026, 12, 23, 16, 0)
    assert add_business_time(wednesday, timedelta(hours=2), calendar) == berlin(2026, 12, 28, 10, 0)
    assert business_duration(wednesday, berlin(2026, 12, 28, 10, 0), calendar) == timedelta(hours=2)


def test_spring_forward_in_berlin_counts_real_hours() -> None:
    # 29 March 2026: 02:00 CET becomes 03:00 CEST; a Sunday open 00:00-06:00 is five real hours long.
    calendar = WorkingCalendar.of("Europe/Berlin", {"sun": [("00:00", "06:00")]})
    assert business_duration(berlin(2026, 3, 29, 0, 0), berlin(2026, 3, 29, 6, 0), calendar) == timedelta(hours=5)
    assert add_business_time(berlin(2026, 3, 29, 1, 0), timedelta(hours=1), calendar) == berlin(2026, 3, 29, 3, 0)


def test_an_opening_skipped_by_spring_forward_is_when_the_clock_resumes() -> None:
    calendar = WorkingCalendar.of("Europe/Berlin", {"sun": [("02:30", "04:00")]})
    opens, closes = next(open_intervals(calendar, berlin(2026, 3, 29, 0, 0)))
    assert (opens, closes) == (berlin(2026, 3, 29, 3, 0), berlin(2026, 3, 29, 4, 0))


def test_fall_back_in_berlin_counts_the_repeated_hour() -> None:
    # 25 October 2026: 03:00 CEST becomes 02:00 CET; 00:00-06:00 is seven real hours long.
    calendar = WorkingCalendar.of("Europe/Berlin", {"sun": [("00:00", "06:00")]})
    assert business_duration(berlin(2026, 10, 25, 0, 0), berlin(2026, 10, 25, 6, 0), calendar) == timedelta(hours=7)


def test_office_hours_stay_local_across_new_york_dst() -> None:
    calendar = WorkingCalendar.of("America/New_York", WEEK)
    # Friday 6 March 2026 16:00 EST + 2 h → Monday 9 March 10:00 EDT (clocks went forward on Sunday 8 March).
    start = datetime(2026, 3, 6, 16, 0, tzinfo=NEW_YORK)
    end = add_business_time(start, timedelta(hours=2), calendar)
    assert end == datetime(2026, 3, 9, 10, 0, tzinfo=NEW_YORK)
    assert end.astimezone(UTC) == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)


def test_several_intervals_a_day_and_a_day_ending_at_midnight() -> None:
    calendar = WorkingCalendar.of("Europe/Berlin", {"mon": [("08:00", "12:00"), ("13:00", "24:00")]})
    monday = berlin(2026, 12, 7, 11, 0)
    assert add_business_time(monday, timedelta(hours=2), calendar) == berlin(2026, 12, 7, 14, 0)
    assert add_business_time(monday, timedelta(hours=12), calendar) == berlin(2026, 12, 8, 0, 0)


def test_negative_durations_and_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_business_time(berlin(2026, 12, 7, 9, 0), timedelta(seconds=-1), OFFICE)
    with pytest.raises(ValueError, match="timezone-aware"):
        business_duration(datetime(2026, 12, 7), berlin(2026, 12, 7, 9, 0), OFFICE)


def test_a_calendar_open_on_no_day_is_refused() -> None:
    with pytest.raises(ClosedCalendar):
        WorkingCalendar.of("Europe/Berlin", {"mon": []})


def test_times_of_day_are_read_strictly() -> None:
    assert (minutes("00:00"), minutes("09:30"), minutes("24:00")) == (0, 570, 1440)
    for bad in ("9:30", "24:01", "12:60", "ab:cd"):
        with pytest.raises(ValueError, match=r"HH:MM|time of day"):
            minutes(bad)


# Random calendars: one to three intervals on some weekdays, a few holidays, in zones with and without DST.
ZONES = st.sampled_from(["Europe/Berlin", "America/New_York", "UTC", "Asia/Kolkata", "Australia/Lord_Howe"])


@st.composite
def calendars(draw: st.DrawFn, zones: st.SearchStrategy[str] = ZONES) -> WorkingCalendar:
    days = draw(st.sets(st.integers(0, 6), min_size=1))
    hours = {}
    for day in days:
        cuts = sorted(draw(st.sets(st.integers(0, 96), min_size=2, max_size=6)))
        spans = [(cuts[i] * 15, cuts[i + 1] * 15) for i in range(0, len(cuts) - 1, 2)]
        hours[day] = tuple(spans)
    holidays = draw(st.frozensets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=20))
    return WorkingCalendar(ZoneInfo(draw(zones)), hours, holidays)


INSTANTS = st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC))
DURATIONS = st.timedeltas(timedelta(0), timedelta(days=3))  # open 15 min a week: 3 days take 6 years
PROPERTIES = settings(max_examples=100, deadline=None)


@PROPERTIES
@given(calendars(), INSTANTS, DURATIONS, DURATIONS)
def test_adding_is_monotonic(calendar: WorkingCalendar, start: datetime, a: timedelta, b: timedelta) -> None:
    shorter, longer = sorted((a, b))
    assert add_business_time(start, shorter, calendar) <= add_business_time(start, longer, calendar)


@PROPERTIES
@given(calendars(), INSTANTS, DURATIONS, DURATIONS)
def test_adding_is_additive(calendar: WorkingCalendar, start: datetime, a: timedelta, b: timedelta) -> None:
    assert add_business_time(add_business_time(start, a, calendar), b, calendar) == add_business_time(
        start, a + b, calendar
    )


@PROPERTIES
@given(calendars(), INSTANTS, DURATIONS)
def test_measuring_what_was_added_gives_it_back(calendar: WorkingCalendar, start: datetime, a: timedelta) -> None:
    end = add_business_time(start, a, calendar)
    assert end >= start
    assert business_duration(start, end, calendar) == a


@PROPERTIES
@given(calendars(), INSTANTS, INSTANTS)
def test_adding_what_was_measured_reaches_no_later_than_the_end(
    calendar: WorkingCalendar, start: datetime, end: datetime
) -> None:
    start, end = min(start, end), max(start, end)
    measured = business_duration(start, end, calendar)
    assert timedelta(0) <= measured <= end - start
    reached = add_business_time(start, measured, calendar)
    assert reached <= end
    assert business_duration(reached, end, calendar) == timedelta(0)


def _open_minutes(calendar: WorkingCalendar, start: datetime, end: datetime) -> int:
    """The oracle: minute by minute, is the wall clock inside an open interval of a working day?"""
    count, at = 0, start
    while at < end:
        local = at.astimezone(calendar.zone)
        minute = local.hour * 60 + local.minute
        spans = () if local.date() in calendar.holidays else calendar.hours.get(local.weekday(), ())
        count += any(a <= minute < b for a, b in spans)
        at += timedelta(minutes=1)
    return count


MINUTES = st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC)).map(
    lambda d: d.replace(second=0, microsecond=0)
)


@settings(max_examples=60, deadline=None)
@given(calendars(st.sampled_from(["UTC", "Asia/Kolkata", "Asia/Tokyo"])), MINUTES, st.integers(0, 3 * 24 * 60))
def test_only_open_minutes_of_working_days_count(calendar: WorkingCalendar, start: datetime, span: int) -> None:
    end = start + timedelta(minutes=span)
    assert business_duration(start, end, calendar) == timedelta(minutes=_open_minutes(calendar, start, end))


@PROPERTIES
@given(calendars(), INSTANTS, INSTANTS)
def test_measuring_backwards_is_the_negative(calendar: WorkingCalendar, a: datetime, b: datetime) -> None:
    assert business_duration(a, b, calendar) == -business_duration(b, a, calendar)
