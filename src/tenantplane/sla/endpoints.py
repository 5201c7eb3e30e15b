"""SLA HTTP API: /api/sla/calendars (business calendars, holiday import) and /api/sla/policies.

Everyone in the tenant reads them; tenant admins (`sla.manage`) write them.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from tenantplane.identity.auth import CurrentUser, Principal, require
from tenantplane.identity.permissions import Permission
from tenantplane.kit.db import SessionDep
from tenantplane.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from tenantplane.kit.schemas import Page
from tenantplane.sla import calendars, policies
from tenantplane.sla.schemas import CalendarIn, CalendarRead, HolidayImportIn, PolicyIn, PolicyRead

router = APIRouter(prefix="/api/sla", tags=["sla"])
SlaAdmin = Annotated[Principal, Depends(require(Permission.SLA_MANAGE))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


@router.get("/calendars", response_model=Page[CalendarRead])
async def list_calendars(
    principal: CurrentUser, session: SessionDep, cursor: str | None = None, limit: Limit = DEFAULT_LIMIT
) -> Page[CalendarRead]:
    rows, next_cursor = await calendars.list_calendars(session, principal.tenant, cursor=cursor, limit=limit)
    return Page(items=[CalendarRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/calendars", response_model=CalendarRead, status_code=201)
async def create_calendar(body: CalendarIn, principal: SlaAdmin, session: SessionDep) -> CalendarRead:
    return CalendarRead.model_validate(await calendars.create_calendar(session, actor=principal, data=body))


@router.get("/calendars/{calendar_id}", response_model=CalendarRead)
async def read_calendar(calendar_id: uuid.UUID, principal: CurrentUser, session: SessionDep) -> CalendarRead:
    return CalendarRead.model_validate(await calendars.get_calendar(session, principal.tenant, calendar_id))


@router.put("/calendars/{calendar_id}", response_model=CalendarRead)
async def update_calendar(
    calendar_id: uuid.UUID, body: CalendarIn, principal: SlaAdmin, session: SessionDep
) -> CalendarRead:
    calendar = await calendars.get_calendar(session, principal.tenant, calendar_id, lock=True)
    return CalendarRead.model_validate(
        await calendars.update_calendar(session, actor=principal, calendar=calendar, data=body)
    )


@router.delete("/calendars/{calendar_id}", status_code=204)
async def delete_calendar(calendar_id: uuid.UUID, principal: SlaAdmin, session: SessionDep) -> Response:
    """Delete a calendar no SLA policy uses (409 otherwise)."""
    calendar = await calendars.get_calendar(session, principal.tenant, calendar_id, lock=True)
    await calendars.delete_calendar(session, actor=principal, calendar=calendar)
    return Response(status_code=204)


@router.post("/calendars/{calendar_id}/holidays/import", response_model=CalendarRead)
async def import_holidays(
    calendar_id: uuid.UUID, body: HolidayImportIn, principal: SlaAdmin, session: SessionDep
) -> CalendarRead:
    """Add (or with `replace`, set) the calendar's holidays from the dates of an iCalendar document's events."""
    calendar = await calendars.get_calendar(session, principal.tenant, calendar_id, lock=True)
    return CalendarRead.model_validate(
        await calendars.import_holidays(session, actor=principal, calendar=calendar, data=body)
    )


@router.get("/policies", response_model=Page[PolicyRead])
async def list_policies(
    principal: CurrentUser, session: SessionDep, cursor: str | None = None, limit: Limit = DEFAULT_LIMIT
) -> Page[PolicyRead]:
    rows, next_cursor = await policies.list_policies(session, principal.tenant, cursor=cursor, limit=limit)
    return Page(items=[PolicyRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/policies", response_model=PolicyRead, status_code=201)
async def create_policy(body: PolicyIn, principal: SlaAdmin, session: SessionDep) -> PolicyRead:
    return PolicyRead.model_validate(await policies.create_policy(session, actor=principal, data=body))


@router.get("/policies/{policy_id}", response_model=PolicyRead)
async def read_policy(policy_id: uuid.UUID, principal: CurrentUser, session: SessionDep) -> PolicyRead:
    return PolicyRead.model_validate(await policies.get_policy(session, principal.tenant, policy_id))


@router.put("/policies/{policy_id}", response_model=PolicyRead)
async def update_policy(policy_id: uuid.UUID, body: PolicyIn, principal: SlaAdmin, session: SessionDep) -> PolicyRead:
    policy = await policies.get_policy(session, principal.tenant, policy_id, lock=True)
    return PolicyRead.model_validate(await policies.update_policy(session, actor=principal, policy=policy, data=body))


@router.delete("/policies/{policy_id}", status_code=204)
async def delete_policy(policy_id: uuid.UUID, principal: SlaAdmin, session: SessionDep) -> Response:
    """Delete a policy: catalog items naming it have none afterwards; clocks already running keep running."""
    policy = await policies.get_policy(session, principal.tenant, policy_id, lock=True)
    await policies.delete_policy(session, actor=principal, policy=policy)
    return Response(status_code=204)
