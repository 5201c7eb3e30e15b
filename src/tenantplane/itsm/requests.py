"""Service requests: submit against a catalog item's form, approval, fulfillment, comments, cancel.

Status words of PRODUCT.md §4; every status change goes through `lifecycle.move_request` (illegal moves are 409).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Sequence
from typing import TypeVar, cast

from sqlalchemy import Select, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.starting import resolve_start
from tenantplane.audit.service import record_event
from tenantplane.identity.auth import Principal
from tenantplane.identity.models import User
from tenantplane.identity.permissions import Permission
from tenantplane.itsm import (
    approval,
    catalog,
    fulfillment,
    lifecycle,
    pinning,
    records,
    service_levels,
    submitting,
    waiting,
)
from tenantplane.itsm.forms import check_form, user_references, validate_values
from tenantplane.itsm.models import CatalogItem, ServiceRequest
from tenantplane.itsm.schemas import FulfillIn, RequestIn
from tenantplane.itsm.submitting import Submitted
from tenantplane.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tenantplane.kit.pagination import paginate
from tenantplane.sla.clocks import next_due

RECORD_TYPE = lifecycle.REQUEST
T = TypeVar("T")
U = TypeVar("U")


def requests_of(tenant_id: uuid.UUID) -> Select[tuple[ServiceRequest]]:
    return select(ServiceRequest).where(ServiceRequest.tenant_id == tenant_id)


def visible_to(principal: Principal) -> Select[tuple[ServiceRequest]]:
    stmt = requests_of(principal.tenant)
    if principal.can(Permission.REQUESTS_READ_ALL):
        return stmt
    return stmt.where(or_(ServiceRequest.requester_id == principal.id, ServiceRequest.requested_for_id == principal.id))


async def get_request(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID, *, lock: bool = False
) -> ServiceRequest:
    stmt = visible_to(principal).where(ServiceRequest.id == request_id)
    found = await session.scalar(stmt.with_for_update() if lock else stmt)
    if found is None and not principal.can(Permission.REQUESTS_READ_ALL):
        found = await approval.visible_as_approver(session, principal, request_id, lock=lock)
    if found is None:
        raise NotFound(f"No request {request_id} that you can see.")
    return found


async def list_requests(
    session: AsyncSession,
    principal: Principal,
    *,
    scope: str,
    status: str | None,
    catalog_item_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
    by_sla: bool = False,
) -> tuple[Sequence[ServiceRequest], str | None]:
    """A page of requests, newest first; `by_sla`: the `limit` with the least SLA time left first (no cursor)."""
    if scope == "all" and not principal.can(Permission.REQUESTS_READ_ALL):
        raise Forbidden("Listing everyone's requests needs the 'requests.read_all' permission.")
    stmt = (
        visible_to(principal)
        if scope == "all"
        else requests_of(principal.tenant).where(
            or_(ServiceRequest.requester_id == principal.id, ServiceRequest.requested_for_id == principal.id)
        )
    )
    if status:
        stmt = stmt.where(ServiceRequest.status == status)
    if catalog_item_id:
        stmt = stmt.where(ServiceRequest.catalog_item_id == catalog_item_id)
    if by_sla:
        ordered = stmt.order_by(next_due(ServiceRequest.id).asc().nulls_last(), ServiceRequest.created_at.desc())
        return (await session.scalars(ordered.limit(limit))).all(), None
    return await paginate(
        session, stmt, created_col=ServiceRequest.created_at, id_col=ServiceRequest.id, cursor=cursor, limit=limit
    )


async def _user_names(session: AsyncSession, tenant_id: uuid.UUID, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Display names of those of `ids` who are users of this tenant (one query for every check of a submit)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(User.id, User.display_name).where(User.tenant_id == tenant_id, User.id.in_(ids))
    )
    return {row.id: row.display_name for row in rows}


async def _earlier(session: AsyncSession, actor: Principal, idempotency_key: str | None) -> ServiceRequest | None:
    """The request this requester already submitted with this Idempotency-Key, if any."""
    if not idempotency_key:
        return None
    found: ServiceRequest | None = await session.scalar(
        requests_of(actor.tenant).where(
            ServiceRequest.requester_id == actor.id, ServiceRequest.idempotency_key == idempotency_key
        )
    )
    return found


async def submit(session: AsyncSession, *, actor: Principal, data: RequestIn, idempotency_key: str | None) -> Submitted:
    """Create a request (and its approval instance, in this transaction). Returns it and whether this call created it.

    A request whose approval starts with rows only (see approvals.starting) is written in one statement; any other
    (no approval, a flagged step, a ladder skipped at once) step by step.
    """
    if idempotency_key:
        # Concurrent retries of one submit queue here until the first commits, then find its request.
        lock_key = f"itsm.submit:{actor.tenant}:{actor.id}:{idempotency_key}"
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": lock_key})
    earlier = await _earlier(session, actor, idempotency_key)
    if earlier is not None:
        return Submitted(earlier, False)
    try:
        item, definition, version, service_level = await catalog.get_item_to_request(
            session, actor.tenant, data.catalog_item_id
        )
    except NotFound as exc:
        raise ValidationFailed.field("catalog_item_id", "no such catalog item in this tenant") from exc
    if not item.active:
        raise ValidationFailed.field("catalog_item_id", f"'{item.name}' is retired and cannot be requested")
    form, _ = check_form(item.variables)
    references = user_references(form, data.variables)
    names = await _user_names(
        session, actor.tenant, references | ({data.requested_for} if data.requested_for else set())
    )
    values, problems = validate_values(form, data.variables, known_users=set(names) & references)
    requested_for = data.requested_for or actor.id
    if data.requested_for and data.requested_for not in names:
        problems.append(("requested_for", "is not a user of this tenant"))
    if problems:
        errors = [{"field": f, "message": m} for f, m in problems]
        raise ValidationFailed("; ".join(f"{f}: {m}" for f, m in problems), errors=errors)
    requester = None
    resolving = None
    if definition is not None and version is not None:
        requester = actor.user if actor.user is not None else await session.get_one(User, actor.id)
        resolving = resolve_start(session, version=version, requester_id=actor.id, requested_for_id=requested_for)
    # The number (on a connection of its own) and the approvers (in this transaction) are read at the same time.
    number, resolution = await _alongside(records.next_number(session, actor.tenant, "REQ"), resolving)
    request = ServiceRequest(
        **submitting.new_request_values(
            tenant_id=actor.tenant,
            number=number,
            catalog_item_id=item.id,
            requester_id=actor.id,
            requested_for_id=requested_for,
            variables=values,
            justification=data.justification,
            status="pending_approval",
            idempotency_key=idempotency_key,
            sla_policy_id=item.sla_policy_id,
        )
    )
    await pinning.pin_fulfillment(session, request, item)
    if definition is not None and version is not None and requester is not None:
        plan = await approval.plan_request_approval(session, item, request, requester, definition, version, resolution)
        if plan is not None:
            people = {actor.id: requester.display_name}
            if data.requested_for:
                people[requested_for] = names[requested_for]
            return await submitting.write_new_request(
                session, actor=actor, item=item, request=request, plan=plan, people=people, service_level=service_level
            )
    await _write_step_by_step(session, actor=actor, item=item, request=request)
    await service_levels.start_at_submit(session, request, request.created_at, service_level)
    await approval.after_request_submit(session, item=item, request=request, actor=actor)
    return Submitted(request, True)


async def _alongside(first: Awaitable[T], second: Awaitable[U] | None) -> tuple[T, U | None]:
    """Both results, awaited together; whichever fails, neither is left running (the session stays unshared)."""
    if second is None:
        return await first, None
    one, two = await asyncio.gather(first, second, return_exceptions=True)
    for outcome in (one, two):
        if isinstance(outcome, BaseException):
            raise outcome
    return cast(T, one), cast(U, two)


async def _write_step_by_step(
    session: AsyncSession, *, actor: Principal, item: CatalogItem, request: ServiceRequest
) -> None:
    session.add(request)
    await session.flush()
    await records.add_event(
        session,
        tenant_id=actor.tenant,
        record_type=RECORD_TYPE,
        record_id=request.id,
        kind="submitted",
        actor_id=actor.id,
        message=f"{request.number} submitted for {item.name}",
    )
    await record_event(
        session,
        actor=actor,
        action="service_request.submitted",
        object_type="service_request",
        object_id=request.id,
        summary={"number": request.number, "catalog_item": item.name},
    )


async def comment(session: AsyncSession, *, actor: Principal, request: ServiceRequest, text: str) -> None:
    """Comment on a request; the requester's comment on a request waiting for them puts it back in fulfillment."""
    await records.add_event(
        session,
        tenant_id=request.tenant_id,
        record_type=RECORD_TYPE,
        record_id=request.id,
        kind="comment",
        actor_id=actor.id,
        message=text,
    )
    await record_event(
        session,
        actor=actor,
        action="service_request.commented",
        object_type="service_request",
        object_id=request.id,
        summary={"number": request.number},
    )
    await waiting.answered(session, actor=actor, request=request)


async def cancel(session: AsyncSession, *, actor: Principal, request: ServiceRequest) -> None:
    if actor.id != request.requester_id and not actor.can(Permission.REQUESTS_FULFILL):
        raise Forbidden("Only the requester, a fulfiller or an admin can cancel a request.")
    await approval.before_cancel(session, actor=actor, record=request)
    await lifecycle.move_request(
        session, request, "cancelled", actor_id=actor.id, message=f"{request.number} cancelled"
    )
    await record_event(
        session,
        actor=actor,
        action="service_request.cancelled",
        object_type="service_request",
        object_id=request.id,
        summary={"number": request.number},
    )


async def fulfil_manually(session: AsyncSession, *, actor: Principal, request: ServiceRequest, data: FulfillIn) -> None:
    if not actor.can(Permission.REQUESTS_FULFILL):
        raise Forbidden("Fulfilling requests needs the 'requests.fulfill' permission.")
    item = await catalog.get_item(session, request.tenant_id, request.catalog_item_id)
    kind = fulfillment.fulfillment_type(request, item)
    if kind != "manual":
        raise Conflict(f"This request is fulfilled by its {kind}, not by hand.")
    request.fulfillment_note = data.comment or None
    await lifecycle.move_request(session, request, data.outcome, actor_id=actor.id, message=data.comment)
    await record_event(
        session,
        actor=actor,
        action=f"service_request.{data.outcome}",
        object_type="service_request",
        object_id=request.id,
        summary={"number": request.number},
    )


async def retry_fulfillment(session: AsyncSession, *, actor: Principal, request: ServiceRequest) -> None:
    """A fulfiller or service owner runs a failed runbook/workflow fulfillment again, exactly as pinned at submit.

    The start of the new run (or the retry of the workflow execution) is the audit event, with the caller as actor.
    """
    if not (actor.can(Permission.REQUESTS_FULFILL) or actor.can(Permission.CATALOG_MANAGE)):
        raise Forbidden("Retrying a fulfillment needs a fulfiller ('requests.fulfill') or a service owner.")
    if request.status != "fulfillment_failed":
        raise Conflict(f"Only a failed fulfillment can be retried; {request.number} is {request.status}.")
    item = await catalog.get_item(session, request.tenant_id, request.catalog_item_id)
    if fulfillment.fulfillment_type(request, item) == "manual":
        raise Conflict(f"{request.number} is fulfilled by hand: there is no runbook or workflow run to retry.")
    if request.fulfillment_type is None:  # submitted before requests pinned their fulfillment
        await pinning.pin_fulfillment(session, request, item)
    await fulfillment.retry_fulfillment(session, actor=actor, request=request)
