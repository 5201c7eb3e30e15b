"""Request and response shapes of the SLA API: business calendars, SLA policies, and the clocks records show.

Working hours are `{"mon": [{"start": "09:00", "end": "17:00"}]}`; a bad zone, an end before its start or overlapping
intervals of a day are 422s naming the field.
"""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import date, datetime
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, ValidationInfo, field_validator, model_validator

from tenantplane.kit.schemas import InputSchema, ReadSchema
from tenantplane.sla.business_time import WEEKDAYS, minutes

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ChangeType = Literal["standard", "normal", "emergency"]
Target = Literal["approval", "approval_step", "fulfilment", "resolution"]
MAX_TARGET_MINUTES = 60 * 24 * 366  # a year of minutes
MAX_STEP = 99  # a ladder's rungs are counted from 0; no definition has a hundred


class OpenInterval(InputSchema):
    start: Annotated[str, StringConstraints(pattern=r"^\d\d:\d\d$")]
    end: Annotated[str, StringConstraints(pattern=r"^\d\d:\d\d$")]

    @field_validator("start", "end")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        minutes(value)  # ValueError → 422 naming the field
        return value

    @model_validator(mode="after")
    def _end_after_start(self) -> OpenInterval:
        if minutes(self.end) <= minutes(self.start):
            raise ValueError(f"end {self.end} is not after start {self.start}")
        return self


def _default_hours() -> dict[Weekday, list[OpenInterval]]:
    days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    return {day: [OpenInterval(start="09:00", end="17:00")] for day in days}


class CalendarIn(InputSchema):
    name: Name
    time_zone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="IANA time zone, e.g. Europe/Berlin"
    )
    working_hours: dict[Weekday, Annotated[list[OpenInterval], Field(max_length=24)]] = Field(
        default_factory=_default_hours, description="Open intervals per weekday in local time; days left out are closed"
    )
    holidays: list[date] = Field(default_factory=list, max_length=5000, description="Closed dates (local)")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA time zone") from exc
        return value

    @field_validator("working_hours")
    @classmethod
    def _no_overlaps(cls, value: dict[Weekday, list[OpenInterval]]) -> dict[Weekday, list[OpenInterval]]:
        for day, spans in value.items():
            ordered = sorted(spans, key=lambda s: minutes(s.start))
            for before, after in pairwise(ordered):
                if minutes(after.start) < minutes(before.end):
                    raise ValueError(f"{day}: {after.start}-{after.end} overlaps {before.start}-{before.end}")
        if not any(value.values()):
            raise ValueError("the calendar must be open at some time of some weekday")
        return value

    def stored_hours(self) -> dict[str, list[list[str]]]:
        return {
            day: [[s.start, s.end] for s in sorted(spans, key=lambda s: minutes(s.start))]
            for day, spans in sorted(self.working_hours.items(), key=lambda kv: WEEKDAYS.index(kv[0]))
            if spans
        }


# Small enough that any document of this length, however JSON escapes its characters (up to 12 bytes each), stays
# under the request body limit (TENANTPLANE_MAX_BODY_BYTES, 1 MiB): a too-long one is a 422 naming `ics`, never a 413.
MAX_ICS_CHARACTERS = 80_000


class HolidayImportIn(InputSchema):
    ics: Annotated[str, StringConstraints(min_length=1, max_length=MAX_ICS_CHARACTERS)] = Field(
        description="An iCalendar (.ics) document (up to 80,000 characters: a few years of public holidays; import "
        "several for more); each VEVENT's dates become holidays"
    )
    replace: bool = Field(default=False, description="Replace the calendar's holidays instead of adding to them")


class OpenIntervalRead(ReadSchema):
    start: str
    end: str


class CalendarRead(ReadSchema):
    id: uuid.UUID
    name: str
    time_zone: str
    working_hours: dict[str, list[OpenIntervalRead]]
    holidays: list[date]
    created_at: datetime
    updated_at: datetime

    @field_validator("working_hours", mode="before")
    @classmethod
    def _spans(cls, value: Any) -> Any:
        return {day: [{"start": a, "end": b} for a, b in spans] for day, spans in value.items()}


class TargetIn(InputSchema):
    target: Target
    step: int | None = Field(
        default=None,
        ge=0,
        le=MAX_STEP,
        description="approval_step only: the ladder's rung, from 0 (the n-th distinct step order), timed from its "
        "opening to its decision",
    )
    minutes: int = Field(ge=1, le=MAX_TARGET_MINUTES)
    clock: Literal["business", "wall"] = "business"

    @model_validator(mode="after")
    def _step_of_a_step_target(self) -> TargetIn:
        if self.target == "approval_step" and self.step is None:
            raise ValueError("an approval_step target names its step (0 for the first)")
        if self.target != "approval_step" and self.step is not None:
            raise ValueError(f"only an approval_step target has a step, not {self.target}")
        return self

    def stored(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class PolicyIn(InputSchema):
    name: Name
    calendar_id: uuid.UUID | None = Field(default=None, description="The business calendar of 'business' targets")
    targets: list[TargetIn] = Field(
        min_length=1, max_length=13, description="One of each target; approval_step once per step (13 in all)"
    )
    warn_percent: int = Field(default=80, ge=1, le=100)
    change_types: list[ChangeType] = Field(
        default_factory=list, max_length=3, description="Change types this policy applies to (one policy per type)"
    )
    pause_on_requester: bool = Field(
        default=False,
        description="Fulfilment and resolution clocks stop counting while a request awaits its requester",
    )

    @field_validator("targets")
    @classmethod
    def _one_of_each(cls, value: list[TargetIn]) -> list[TargetIn]:
        names = [(t.target, t.step) for t in value]
        if len(set(names)) != len(names):
            raise ValueError("each target (and each approval step) may appear once")
        return value


class PolicyRead(ReadSchema):
    id: uuid.UUID
    name: str
    calendar_id: uuid.UUID | None
    targets: list[dict[str, Any]]
    warn_percent: int
    change_types: list[str]
    pause_on_requester: bool
    created_at: datetime
    updated_at: datetime


class ClockRead(ReadSchema):
    """One SLA target of a request or change; `seconds_left` is wall-clock time to `due_at` (negative when late)."""

    target: str
    step: int | None = Field(default=None, description="The ladder rung (from 0) of an approval_step clock")
    clock: str
    minutes: int
    state: str
    started_at: datetime
    warn_at: datetime
    due_at: datetime
    stopped_at: datetime | None
    paused_at: datetime | None = Field(default=None, description="Since when a paused clock has not counted")
    met_at: datetime | None
    warned_at: datetime | None
    breached_at: datetime | None
    seconds_left: int | None = Field(
        default=None, description="Until due (wall clock) while it runs; null once stopped"
    )

    @field_validator("step", mode="after")
    @classmethod
    def _only_of_steps(cls, value: int | None, info: ValidationInfo) -> int | None:
        return value if info.data.get("target") == "approval_step" else None
