"""Business calendars and SLA policies over HTTP: CRUD, who may write, problem details, .ics import, isolation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.api.conftest import TenantContext, TenantFactory
from tests.api.sweep_itsm import CATALOG, create_item
from tests.api.sweep_sla import CALENDARS, ICS, POLICIES, calendar_body, create_calendar, create_policy


def _fields(body: dict[str, Any]) -> list[str]:
    return [e["field"] for e in body.get("errors", [])]


async def test_a_calendar_is_created_read_changed_and_deleted(tenant: TenantContext) -> None:
    created = await create_calendar(tenant, holidays=["2026-12-25", "2026-12-24"])
    assert created["working_hours"]["mon"] == [{"start": "09:00", "end": "17:00"}]
    assert created["holidays"] == ["2026-12-24", "2026-12-25"]
    reader = await tenant.user()
    read = await tenant.client.get(f"{CALENDARS}/{created['id']}", headers=reader.headers)
    assert read.status_code == 200
    assert read.json()["time_zone"] == "Europe/Berlin"
    body = calendar_body(
        name="Night desk", time_zone="America/New_York", working_hours={"sat": [{"start": "20:00", "end": "24:00"}]}
    )
    changed = await tenant.client.put(f"{CALENDARS}/{created['id']}", json=body, headers=tenant.admin.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["working_hours"] == {"sat": [{"start": "20:00", "end": "24:00"}]}
    listed = await tenant.client.get(CALENDARS, headers=reader.headers)
    assert [c["name"] for c in listed.json()["items"]] == ["Night desk"]
    deleted = await tenant.client.delete(f"{CALENDARS}/{created['id']}", headers=tenant.admin.headers)
    assert deleted.status_code == 204
    assert (await tenant.client.get(f"{CALENDARS}/{created['id']}", headers=reader.headers)).status_code == 404


async def test_only_admins_write_calendars_and_policies(tenant: TenantContext) -> None:
    owner = await tenant.user(["service_owner"])
    assert (await tenant.client.post(CALENDARS, json=calendar_body(), headers=owner.headers)).status_code == 403
    policy = {"name": "x", "targets": [{"target": "approval", "minutes": 5, "clock": "wall"}]}
    assert (await tenant.client.post(POLICIES, json=policy, headers=owner.headers)).status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"working_hours": {"mon": [{"start": "17:00", "end": "09:00"}]}}, "working_hours.mon.0"),
        ({"working_hours": {"mon": [{"start": "09:00", "end": "25:00"}]}}, "working_hours.mon.0.end"),
        (
            {"working_hours": {"mon": [{"start": "09:00", "end": "13:00"}, {"start": "12:00", "end": "17:00"}]}},
            "working_hours",
        ),
        ({"working_hours": {}}, "working_hours"),
        ({"working_hours": {"someday": [{"start": "09:00", "end": "17:00"}]}}, "working_hours.someday.[key]"),
        ({"holidays": ["2026-02-30"]}, "holidays.0"),
    ],
)
async def test_a_bad_calendar_is_a_problem_naming_the_field(
    tenant: TenantContext, change: dict[str, Any], field: str
) -> None:
    response = await tenant.client.post(CALENDARS, json=calendar_body(**change), headers=tenant.admin.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert any(f.endswith(field) for f in _fields(response.json())), response.json()
    assert (await tenant.client.get(CALENDARS, headers=tenant.admin.headers)).json()["items"] == []


async def test_holidays_are_imported_from_an_icalendar_file(tenant: TenantContext) -> None:
    calendar = await create_calendar(tenant, holidays=["2026-10-03"])
    url = f"{CALENDARS}/{calendar['id']}/holidays/import"
    added = await tenant.client.post(url, json={"ics": ICS}, headers=tenant.admin.headers)
    assert added.status_code == 200, added.text
    assert added.json()["holidays"] == ["2026-10-03", "2026-12-25", "2026-12-26", "2027-01-01"]
    replaced = await tenant.client.post(url, json={"ics": ICS, "replace": True}, headers=tenant.admin.headers)
    assert replaced.json()["holidays"] == ["2026-12-25", "2026-12-26", "2027-01-01"]


async def test_a_yearly_holiday_is_imported_for_this_year_and_the_next_three(tenant: TenantContext) -> None:
    calendar = await create_calendar(tenant)
    url = f"{CALENDARS}/{calendar['id']}/holidays/import"
    unity = ICS.replace("DTSTART;VALUE=DATE:20270101\n", "DTSTART;VALUE=DATE:20201003\nRRULE:FREQ=YEARLY\n")
    added = await tenant.client.post(url, json={"ics": unity}, headers=tenant.admin.headers)
    assert added.status_code == 200, added.text
    year = datetime.now(UTC).year
    assert [d for d in added.json()["holidays"] if d.endswith("-10-03")] == [f"{year + n}-10-03" for n in range(4)]


@pytest.mark.parametrize(
    "ics",
    [
        "not a calendar",
        "BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n",
        ICS.replace("DTSTART;VALUE=DATE:20270101\n", ""),
        ICS.replace("DTSTART;VALUE=DATE:20270101\n", "DTSTART;VALUE=DATE:20270101\nRRULE:FREQ=WEEKLY\n"),
        ICS.replace("DTSTART;VALUE=DATE:20270101\n", "DTSTART;VALUE=DATE:20270101\nRRULE:FREQ=YEARLY;BYDAY=XX\n"),
    ],
)
async def test_a_bad_icalendar_file_is_a_problem_and_changes_nothing(tenant: TenantContext, ics: str) -> None:
    calendar = await create_calendar(tenant, holidays=["2026-10-03"])
    url = f"{CALENDARS}/{calendar['id']}/holidays/import"
    response = await tenant.client.post(url, json={"ics": ics}, headers=tenant.admin.headers)
    assert response.status_code == 422, response.text
    assert _fields(response.json()) == ["ics"]
    read = await tenant.client.get(f"{CALENDARS}/{calendar['id']}", headers=tenant.admin.headers)
    assert read.json()["holidays"] == ["2026-10-03"]


async def test_a_policy_names_its_targets_calendar_and_change_types(tenant: TenantContext) -> None:
    targets = [
        {"target": "approval", "minutes": 120, "clock": "business"},
        {"target": "resolution", "minutes": 2880, "clock": "wall"},
    ]
    policy = await create_policy(tenant, targets, change_types=["normal"], warn_percent=75)
    assert (policy["warn_percent"], policy["change_types"]) == (75, ["normal"])
    assert [t["target"] for t in policy["targets"]] == ["approval", "resolution"]
    clash = {
        "name": "Other",
        "targets": [{"target": "approval", "minutes": 1, "clock": "wall"}],
        "change_types": ["normal"],
    }
    response = await tenant.client.post(POLICIES, json=clash, headers=tenant.admin.headers)
    assert response.status_code == 422, response.text
    assert _fields(response.json()) == ["change_types"], response.text
    item = await create_item(tenant, sla_policy_id=policy["id"])
    assert item["sla_policy_id"] == policy["id"]
    in_use = await tenant.client.delete(f"{CALENDARS}/{policy['calendar_id']}", headers=tenant.admin.headers)
    assert in_use.status_code == 409, in_use.text
    assert (await tenant.client.delete(f"{POLICIES}/{policy['id']}", headers=tenant.admin.headers)).status_code == 204
    after = await tenant.client.get(f"{CATALOG}/{item['id']}", headers=tenant.admin.headers)
    assert after.json()["sla_policy_id"] is None


async def test_a_bad_policy_is_a_problem_naming_each_field(tenant: TenantContext, make_tenant: TenantFactory) -> None:
    other = await make_tenant()
    foreign = await create_calendar(other)
    bodies = [
        ({"targets": [{"target": "approval", "minutes": 60, "clock": "business"}]}, ["calendar_id"]),
        ({"calendar_id": foreign["id"], "targets": [{"target": "approval", "minutes": 60}]}, ["calendar_id"]),
        ({"targets": [{"target": "approval", "minutes": 0, "clock": "wall"}]}, ["targets.0.minutes"]),
        ({"targets": [{"target": "approval", "minutes": 5, "clock": "wall"}] * 2}, ["targets"]),
        ({"targets": [{"target": "approval", "minutes": 5, "clock": "wall"}], "warn_percent": 0}, ["warn_percent"]),
    ]
    for change, fields in bodies:
        response = await tenant.client.post(POLICIES, json={"name": "P", **change}, headers=tenant.admin.headers)
        assert response.status_code == 422, response.text
        assert [f.removeprefix("body.") for f in _fields(response.json())] == fields, response.json()
    foreign_policy = await create_policy(other)
    item = await tenant.client.post(
        CATALOG, json={"name": "Phone", "sla_policy_id": foreign_policy["id"]}, headers=tenant.admin.headers
    )
    assert item.status_code == 422, item.text
    assert _fields(item.json()) == ["sla_policy_id"], item.text


async def test_another_tenants_calendars_and_policies_are_not_found(
    tenant: TenantContext, make_tenant: TenantFactory
) -> None:
    other = await make_tenant()
    policy = await create_policy(other)
    for path in (f"{CALENDARS}/{policy['calendar_id']}", f"{POLICIES}/{policy['id']}"):
        assert (await tenant.client.get(path, headers=tenant.admin.headers)).status_code == 404
        assert (await tenant.client.delete(path, headers=tenant.admin.headers)).status_code == 404
    assert (await tenant.client.get(POLICIES, headers=tenant.admin.headers)).json()["items"] == []
