"""Holidays from iCalendar documents: single events as they are, recurring ones over this year and the next three."""

from __future__ import annotations

from datetime import date

import pytest

from tenantplane.sla.calendars import holidays_in


def _ics(*events: str) -> str:
    body = "".join(f"BEGIN:VEVENT\nUID:{n}@t\n{e.strip()}\nEND:VEVENT\n" for n, e in enumerate(events))
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\n{body}END:VCALENDAR\n"


def test_a_yearly_rule_counts_from_this_year_to_the_third_year_after() -> None:
    ics = _ics("DTSTART;VALUE=DATE:20201225\nDTEND;VALUE=DATE:20201227\nRRULE:FREQ=YEARLY\nSUMMARY:Christmas")
    found = holidays_in(ics, today=date(2026, 12, 7))
    assert found == [date(y, 12, d) for y in range(2026, 2030) for d in (25, 26)]
    assert holidays_in(ics, today=date(2031, 1, 2))[0] == date(2031, 12, 25)


def test_exdate_rdate_and_until_shape_the_occurrences() -> None:
    ics = _ics(
        "DTSTART;VALUE=DATE:20250501\nRRULE:FREQ=YEARLY;UNTIL=20280501T000000Z\nEXDATE;VALUE=DATE:20270501",
        "DTSTART;VALUE=DATE:20260815\nRRULE:FREQ=YEARLY;COUNT=2\nRDATE;VALUE=DATE:20290816",
        "DTSTART;VALUE=DATE:20240101",  # a single event keeps its date, however old
    )
    assert holidays_in(ics, today=date(2026, 6, 1)) == [
        date(2024, 1, 1),
        date(2026, 5, 1),
        date(2026, 8, 15),
        date(2027, 8, 15),
        date(2028, 5, 1),
        date(2029, 8, 16),
    ]


def test_a_rule_by_weekday_of_month_is_expanded() -> None:
    # US Thanksgiving: the fourth Thursday of November.
    ics = _ics("DTSTART;VALUE=DATE:20221124\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH")
    assert holidays_in(ics, today=date(2026, 1, 1)) == [
        date(2026, 11, 26),
        date(2027, 11, 25),
        date(2028, 11, 23),
        date(2029, 11, 22),
    ]


@pytest.mark.parametrize("rule", ["FREQ=MONTHLY", "FREQ=DAILY;COUNT=3", "FREQ=YEARLY;BYDAY=XX", "BYMONTH=1"])
def test_a_rule_no_holiday_follows_is_refused(rule: str) -> None:
    with pytest.raises(ValueError, match=r"recur|rule|RRULE"):
        holidays_in(_ics(f"DTSTART;VALUE=DATE:20260101\nRRULE:{rule}"), today=date(2026, 1, 1))


def test_a_document_holds_a_bounded_number_of_recurring_events() -> None:
    rule = "DTSTART;VALUE=DATE:20260101\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"  # never happens
    assert holidays_in(_ics(rule), today=date(2026, 1, 1)) == [date(2026, 1, 1)]
    with pytest.raises(ValueError, match="at most 30 recurring events"):
        holidays_in(_ics(*[rule] * 31), today=date(2026, 1, 1))
