"""Sweep registry entries for the SLA routes, and helpers the SLA tests share (see tests/api/sweeps.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests.api.conftest import TenantContext
from tests.api.sweeps import BodyFor, Call, Factory, Ids, Setup

CALENDARS = "/api/sla/calendars"
POLICIES = "/api/sla/policies"
BERLIN_HOURS = {day: [{"start": "09:00", "end": "17:00"}] for day in ("mon", "tue", "wed", "thu", "fri")}
ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//tests//sla//EN
BEGIN:VEVENT
UID:xmas@example.com
DTSTAMP:20261201T000000Z
SUMMARY:Christmas
DTSTART;VALUE=DATE:20261225
DTEND;VALUE=DATE:20261227
END:VEVENT
BEGIN:VEVENT
UID:newyear@example.com
DTSTAMP:20261201T000000Z
SUMMARY:New Year
DTSTART;VALUE=DATE:20270101
END:VEVENT
END:VCALENDAR
"""


def calendar_body(**fields: Any) -> dict[str, Any]:
    return {
        "name": f"Office {uuid.uuid4().hex[:6]}",
        "time_zone": "Europe/Berlin",
        "working_hours": BERLIN_HOURS,
        **fields,
    }


async def create_calendar(t: TenantContext, **fields: Any) -> dict[str, Any]:
    response = await t.client.post(CALENDARS, json=calendar_body(**fields), headers=t.admin.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def create_policy(t: TenantContext, targets: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
    if "calendar_id" not in fields:
        fields["calendar_id"] = (await create_calendar(t))["id"]
    body = {
        "name": f"Gold {uuid.uuid4().hex[:6]}",
        "targets": targets or [{"target": "approval", "minutes": 120, "clock": "business"}],
        **fields,
    }
    response = await t.client.post(POLICIES, json=body, headers=t.admin.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _calendar_id(t: TenantContext, c: httpx.AsyncClient) -> str:
    return str((await create_calendar(t))["id"])


async def _policy_id(t: TenantContext, c: httpx.AsyncClient) -> str:
    return str((await create_policy(t))["id"])


async def _nothing(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {}


async def _calendar(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {"calendar": await _calendar_id(t, c)}


async def _policy(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {"policy": await _policy_id(t, c)}


def _send(method: str, path: str, body: Callable[[], dict[str, Any]] | None = None) -> Call:
    def call(c: httpx.AsyncClient, t: TenantContext, ids: Ids) -> Any:
        json = body() if body is not None else None
        return c.request(method, path.format(**ids), json=json, headers=t.admin.headers)

    return call


def _policy_body(ids: dict[str, str] | None = None) -> dict[str, Any]:
    """A wall-clock policy with a name of its own."""
    name = f"Wall {uuid.uuid4().hex[:6]}"
    return {"name": name, "targets": [{"target": "resolution", "minutes": 60, "clock": "wall"}]}


FACTORIES: dict[str, Factory] = {"calendar_id": _calendar_id, "policy_id": _policy_id}
BODIES: dict[tuple[str, str], BodyFor] = {
    ("put", f"{CALENDARS}/{{calendar_id}}"): lambda ids: calendar_body(),
    ("post", f"{CALENDARS}/{{calendar_id}}/holidays/import"): lambda ids: {"ics": ICS},
    ("put", f"{POLICIES}/{{policy_id}}"): _policy_body,
}
AUDIT_SCENARIOS: dict[tuple[str, str], tuple[Setup, Call]] = {
    ("post", CALENDARS): (_nothing, _send("POST", CALENDARS, calendar_body)),
    ("put", f"{CALENDARS}/{{calendar_id}}"): (_calendar, _send("PUT", CALENDARS + "/{calendar}", calendar_body)),
    ("delete", f"{CALENDARS}/{{calendar_id}}"): (_calendar, _send("DELETE", CALENDARS + "/{calendar}")),
    ("post", f"{CALENDARS}/{{calendar_id}}/holidays/import"): (
        _calendar,
        _send("POST", CALENDARS + "/{calendar}/holidays/import", lambda: {"ics": ICS}),
    ),
    ("post", POLICIES): (_nothing, _send("POST", POLICIES, _policy_body)),
    ("put", f"{POLICIES}/{{policy_id}}"): (_policy, _send("PUT", POLICIES + "/{policy}", _policy_body)),
    ("delete", f"{POLICIES}/{{policy_id}}"): (_policy, _send("DELETE", POLICIES + "/{policy}")),
}
