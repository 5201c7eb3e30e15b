"""ITSM HTTP API: /api/itsm/catalog, /api/itsm/requests and /api/itsm/changes (PRODUCT.md §4).

Anyone in the tenant browses the catalog and submits; service owners manage items; fulfillers work requests.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Response

from tenantplane.identity.auth import CurrentUser, Principal, require
from tenantplane.identity.permissions import Permission
from tenantplane.itsm import catalog, changes, records, requests, service_levels, waiting
from tenantplane.itsm.models import ChangeRequest, ServiceRequest
from tenantplane.itsm.pinning import fulfillment_read
from tenantplane.itsm.schemas import (
    CatalogItemIn,
    CatalogItemRead,
    ChangeDetail,
    ChangeIn,
    ChangeRead,
    CommentIn,
    FulfillIn,
    OutcomeIn,
    RecordEventRead,
    RequestDetail,
    RequestIn,
    RequestRead,
)
from tenantplane.kit.db import SessionDep
from tenantplane.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from tenantplane.kit.schemas import Page
from tenantplane.sla.schemas import ClockRead

router = APIRouter(prefix="/api/itsm", tags=["itsm"])
CatalogAdmin = Annotated[Principal, Depends(require(Permission.CATALOG_MANAGE))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


@router.get("/catalog", response_model=Page[CatalogItemRead])
async def list_catalog(
    principal: CurrentUser,
    session: SessionDep,
    category: str | None = None,
    q: str | None = None,
    include_inactive: bool = False,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[CatalogItemRead]:
    inactive = include_inactive and principal.can(Permission.CATALOG_MANAGE)
    rows, next_cursor = await catalog.list_items(
        session, principal.tenant, include_inactive=inactive, category=category, q=q, cursor=cursor, limit=limit
    )
    return Page(items=[CatalogItemRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/catalog", response_model=CatalogItemRead, status_code=201)
async def create_catalog_item(body: CatalogItemIn, principal: CatalogAdmin, session: SessionDep) -> CatalogItemRead:
    return CatalogItemRead.model_validate(await catalog.create_item(session, actor=principal, data=body))


@router.get("/catalog/{item_id}", response_model=CatalogItemRead)
async def read_catalog_item(item_id: uuid.UUID, principal: CurrentUser, session: SessionDep) -> CatalogItemRead:
    return CatalogItemRead.model_validate(await catalog.get_item(session, principal.tenant, item_id))


@router.put("/catalog/{item_id}", response_model=CatalogItemRead)
async def update_catalog_item(
    item_id: uuid.UUID, body: CatalogItemIn, principal: CatalogAdmin, session: SessionDep
) -> CatalogItemRead:
    item = await catalog.get_item(session, principal.tenant, item_id, lock=True)
    return CatalogItemRead.model_validate(await catalog.update_item(session, actor=principal, item=item, data=body))


@router.delete("/catalog/{item_id}", status_code=204)
async def retire_catalog_item(item_id: uuid.UUID, principal: CatalogAdmin, session: SessionDep) -> Response:
    item = await catalog.get_item(session, principal.tenant, item_id, lock=True)
    await catalog.retire_item(session, actor=principal, item=item)
    return Response(status_code=204)


def _request_read(request: ServiceRequest, sla: dict[uuid.UUID, list[ClockRead]]) -> RequestRead:
    update = {"fulfillment": fulfillment_read(request), "sla": sla.get(request.id, [])}
    return RequestRead.model_validate(request).model_copy(update=update)


async def _request_detail(session: SessionDep, request: ServiceRequest) -> RequestDetail:
    events = await records.timeline(session, request.tenant_id, request.id)
    sla = await service_levels.clock_reads(session, [request])
    base = _request_read(request, sla).model_dump()
    people = await records.people(
        session, request.tenant_id, events, request.approval_instance_id, request.requester_id, request.requested_for_id
    )
    return RequestDetail(**base, timeline=[RecordEventRead.model_validate(e) for e in events], people=people)


@router.post("/requests", response_model=RequestDetail, status_code=201)
async def submit_request(
    body: RequestIn,
    principal: CurrentUser,
    session: SessionDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> RequestDetail:
    """Submit a request; with an `Idempotency-Key` a retried submit returns the first request (200)."""
    submitted = await requests.submit(session, actor=principal, data=body, idempotency_key=idempotency_key)
    if not submitted.created:
        response.status_code = 200
    if submitted.timeline is None:
        return await _request_detail(session, submitted.request)
    base = _request_read(submitted.request, {submitted.request.id: submitted.sla}).model_dump()
    timeline = [RecordEventRead.model_validate(e) for e in submitted.timeline]
    return RequestDetail(**base, timeline=timeline, people=submitted.people)


@router.get("/requests", response_model=Page[RequestRead])
async def list_requests(
    principal: CurrentUser,
    session: SessionDep,
    scope: Literal["mine", "all"] = "mine",
    status: str | None = None,
    catalog_item_id: uuid.UUID | None = None,
    sort: Annotated[
        Literal["newest", "sla"],
        Query(description="`sla`: least time left first (running SLA clocks), one page of `limit`, no cursor"),
    ] = "newest",
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[RequestRead]:
    rows, next_cursor = await requests.list_requests(
        session,
        principal,
        scope=scope,
        status=status,
        catalog_item_id=catalog_item_id,
        by_sla=sort == "sla",
        cursor=cursor,
        limit=limit,
    )
    sla = await service_levels.clock_reads(session, rows)
    return Page(items=[_request_read(r, sla) for r in rows], next_cursor=next_cursor)


@router.get("/requests/{request_id}", response_model=RequestDetail)
async def read_request(request_id: uuid.UUID, principal: CurrentUser, session: SessionDep) -> RequestDetail:
    return await _request_detail(session, await requests.get_request(session, principal, request_id))


@router.post("/requests/{request_id}/comments", response_model=RequestDetail, status_code=201)
async def comment_on_request(
    request_id: uuid.UUID, body: CommentIn, principal: CurrentUser, session: SessionDep
) -> RequestDetail:
    """Comment on a request; the requester's comment on a request awaiting them puts it back in fulfillment."""
    request = await requests.get_request(session, principal, request_id, lock=True)
    await requests.comment(session, actor=principal, request=request, text=body.comment)
    return await _request_detail(session, request)


@router.post("/requests/{request_id}/await-requester", response_model=RequestDetail)
async def await_requester(
    request_id: uuid.UUID, body: CommentIn, principal: CurrentUser, session: SessionDep
) -> RequestDetail:
    """A fulfiller asks the requester something (`comment`): the request is `awaiting_requester` until the
    requester comments or a fulfiller resumes it; its SLA clocks pause meanwhile when its policy says so."""
    request = await requests.get_request(session, principal, request_id, lock=True)
    await waiting.await_requester(session, actor=principal, request=request, question=body.comment)
    return await _request_detail(session, request)


@router.post("/requests/{request_id}/resume", response_model=RequestDetail)
async def resume_request(request_id: uuid.UUID, principal: CurrentUser, session: SessionDep) -> RequestDetail:
    """Put a request awaiting its requester back in fulfillment (a fulfiller or the requester; 409 otherwise)."""
    request = await requests.get_request(session, principal, request_id, lock=True)
    await waiting.resume(session, actor=principal, request=request)
    return await _request_detail(session, request)


@router.post("/requests/{request_id}/cancel", response_model=RequestDetail)
async def cancel_request(request_id: uuid.UUID, principal: CurrentUser, session: SessionDep) -> RequestDetail:
    request = await requests.get_request(session, principal, request_id)
    await requests.cancel(session, actor=principal, request=request)
    return await _request_detail(session, request)


@router.post("/requests/{request_id}/fulfill", response_model=RequestDetail)
async def fulfil_request(
    request_id: uuid.UUID, body: FulfillIn, principal: CurrentUser, session: SessionDep
) -> RequestDetail:
    """Manual fulfillment by a fulfiller: `fulfilled` (default) or `fulfillment_failed`, with a `comment`."""
    request = await requests.get_request(session, principal, request_id, lock=True)
    await requests.fulfil_manually(session, actor=principal, request=request, data=body)
    return await _request_detail(session, request)


@router.post("/requests/{request_id}/retry-fulfillment", response_model=RequestDetail)
async def retry_request_fulfillment(
    request_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> RequestDetail:
    """Run a failed runbook or workflow fulfillment again (fulfillers and service owners): the version and
    parameters pinned at submit; a failed workflow execution resumes from its failed steps. 409 unless
    `fulfillment_failed`."""
    request = await requests.get_request(session, principal, request_id, lock=True)
    await requests.retry_fulfillment(session, actor=principal, request=request)
    return await _request_detail(session, request)


async def _change_detail(session: SessionDep, change: ChangeRequest) -> ChangeDetail:
    events = await records.timeline(session, change.tenant_id, change.id)
    people = await records.people(session, change.tenant_id, events, change.approval_instance_id, change.requester_id)
    sla = await service_levels.clock_reads(session, [change])
    return ChangeDetail(
        **ChangeRead.model_validate(change).model_copy(update={"sla": sla.get(change.id, [])}).model_dump(),
        timeline=[RecordEventRead.model_validate(e) for e in events],
        people=people,
    )


@router.post("/changes", response_model=ChangeDetail, status_code=201)
async def create_change(body: ChangeIn, principal: CurrentUser, session: SessionDep) -> ChangeDetail:
    return await _change_detail(session, await changes.create_change(session, actor=principal, data=body))


@router.get("/changes", response_model=Page[ChangeRead])
async def list_changes(
    principal: CurrentUser,
    session: SessionDep,
    status: str | None = None,
    type: Literal["standard", "normal", "emergency"] | None = None,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[ChangeRead]:
    rows, next_cursor = await changes.list_changes(
        session, principal.tenant, status=status, type_=type, cursor=cursor, limit=limit
    )
    sla = await service_levels.clock_reads(session, rows)
    items = [ChangeRead.model_validate(r).model_copy(update={"sla": sla.get(r.id, [])}) for r in rows]
    return Page(items=items, next_cursor=next_cursor)


@router.get("/changes/{change_id}", response_model=ChangeDetail)
async def read_change(change_id: uuid.UUID, principal: CurrentUser, session: SessionDep) -> ChangeDetail:
    return await _change_detail(session, await changes.get_change(session, principal.tenant, change_id))


def _change_action(action: str) -> None:
    async def handler(
        change_id: uuid.UUID, body: OutcomeIn, principal: CurrentUser, session: SessionDep
    ) -> ChangeDetail:
        change = await changes.get_change(session, principal.tenant, change_id)
        await changes.act(session, actor=principal, change=change, action=action, note=body.comment)
        return await _change_detail(session, change)

    handler.__name__ = f"{action}_change"
    router.add_api_route(
        f"/changes/{{change_id}}/{action}",
        handler,
        methods=["POST"],
        response_model=ChangeDetail,
        summary=f"{action.capitalize()} a change",
    )


for _action in ("start", "complete", "fail", "cancel"):
    _change_action(_action)
