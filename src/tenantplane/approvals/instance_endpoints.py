"""HTTP routes of approval instances: start, list (the inbox is `?status=pending&approver=me`), read, decide.

Deciding, cancelling and refreshing lock the instance row, so concurrent decisions never double-advance.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from tenantplane.approvals import repository as repo
from tenantplane.approvals import service
from tenantplane.approvals.engine import InstanceStatus, Outcome
from tenantplane.approvals.hooks import facts_of, has_finished_hooks
from tenantplane.approvals.schemas import ApprovalEventRead, CancelWrite, DecisionWrite, InstanceRead, InstanceStart
from tenantplane.approvals.views import Viewer, instance_read, instance_reads, reads_every_instance
from tenantplane.audit.service import record_event
from tenantplane.identity.auth import CurrentUser, Principal, require
from tenantplane.identity.permissions import Permission
from tenantplane.kit.db import SessionDep
from tenantplane.kit.errors import ValidationFailed
from tenantplane.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from tenantplane.kit.schemas import Page

router = APIRouter(tags=["approval instances"])
DefinitionAdmin = Annotated[Principal, Depends(require(Permission.APPROVAL_DEFINITIONS_MANAGE))]
PATH = "/api/workflows/instances"
ONE = PATH + "/{instance_id}"


async def _read(session: SessionDep, principal: Principal, instance_id: uuid.UUID) -> InstanceRead:
    instance = await repo.get_instance(session, principal.tenant, instance_id)
    viewer = await Viewer.of(session, principal)
    viewer.check_may_read(instance)
    version = await repo.get_version(session, principal.tenant, instance.definition_id, instance.definition_version)
    fulfillment = (await facts_of(session, principal.tenant, [instance])).get(instance.record_id)
    return instance_read(instance, version, viewer, fulfillment)


@router.post(PATH, response_model=InstanceRead, status_code=201)
async def start_instance(body: InstanceStart, principal: CurrentUser, session: SessionDep) -> InstanceRead:
    """Start approving a record with you as the requester (catalog requests and changes start their own)."""
    if has_finished_hooks(body.record_type):
        raise ValidationFailed.field(
            "record_type", f"{body.record_type!r} approvals start when such a record is submitted, not from here"
        )
    definition = await repo.find_definition(session, principal.tenant, body.definition_id)
    if definition is None:
        raise ValidationFailed.field("definition_id", f"no approval definition {body.definition_id} in this tenant")
    instance = await service.start_workflow_instance(
        session,
        definition=definition,
        record_type=body.record_type,
        record_id=body.record_id,
        requester_id=principal.id,
        variables=body.variables,
        title=body.title,
    )
    await record_event(
        session,
        actor=principal,
        action="approval_instance.started",
        object_type="approval_instance",
        object_id=instance.id,
        summary={"definition_id": definition.id, "record_type": body.record_type, "record_id": body.record_id},
    )
    return await _read(session, principal, instance.id)


@router.get(PATH, response_model=Page[InstanceRead])
async def list_instances(
    principal: CurrentUser,
    session: SessionDep,
    status: InstanceStatus | None = None,
    approver: Annotated[
        Literal["me"] | None, Query(description="`me`: what you (or whom you stand in for) may decide now")
    ] = None,
    requester: Annotated[Literal["me"] | None, Query(description="`me`: what you requested")] = None,
    record_type: str | None = None,
    record_id: uuid.UUID | None = None,
    definition_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[InstanceRead]:
    viewer = await Viewer.of(session, principal)
    my_ids = frozenset(uuid.UUID(u) for u in viewer.user_ids)
    where = repo.InstanceFilter(
        status=status,
        record_type=record_type,
        record_id=record_id,
        definition_id=definition_id,
        requester_id=principal.id if requester == "me" else None,
        approver_ids=my_ids if approver == "me" else None,
        # An inbox query (approver=me) only returns rows assigned to me: visible by construction.
        visible_to=None if reads_every_instance(principal) or approver == "me" else my_ids,
    )
    rows, next_cursor = await repo.list_instances(session, principal.tenant, where, cursor=cursor, limit=limit)
    items = await instance_reads(session, rows, viewer)
    if approver == "me":  # e.g. a delegate who already decided that step in their own name
        items = [item for item in items if item.can_decide]
    return Page(items=items, next_cursor=next_cursor)


@router.get(ONE, response_model=InstanceRead)
async def read_instance(instance_id: uuid.UUID, principal: CurrentUser, session: SessionDep) -> InstanceRead:
    return await _read(session, principal, instance_id)


@router.get(ONE + "/events", response_model=Page[ApprovalEventRead])
async def list_instance_events(
    instance_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = MAX_LIMIT,
) -> Page[ApprovalEventRead]:
    """The instance's timeline, newest first: start, notices, timers, decisions and its outcome."""
    await _read(session, principal, instance_id)
    rows, next_cursor = await repo.list_events(session, principal.tenant, instance_id, cursor=cursor, limit=limit)
    return Page(items=[ApprovalEventRead.model_validate(e) for e in rows], next_cursor=next_cursor)


async def _decide(
    session: SessionDep, principal: Principal, instance_id: uuid.UUID, outcome: Outcome, body: DecisionWrite
) -> InstanceRead:
    await service.decide_step(
        session, actor=principal, instance_id=instance_id, outcome=outcome, comment=body.comment, step_name=body.step
    )
    return await _read(session, principal, instance_id)


@router.post(ONE + "/approve", response_model=InstanceRead)
async def approve(
    instance_id: uuid.UUID, principal: CurrentUser, session: SessionDep, body: DecisionWrite | None = None
) -> InstanceRead:
    """Approve every current step you may decide, or only `step`."""
    return await _decide(session, principal, instance_id, "approved", body or DecisionWrite())


@router.post(ONE + "/reject", response_model=InstanceRead)
async def reject(
    instance_id: uuid.UUID, body: DecisionWrite, principal: CurrentUser, session: SessionDep
) -> InstanceRead:
    """Reject (a comment is required); a rejected required step rejects the whole instance."""
    return await _decide(session, principal, instance_id, "rejected", body)


@router.post(ONE + "/cancel", response_model=InstanceRead)
async def cancel(
    instance_id: uuid.UUID, principal: CurrentUser, session: SessionDep, body: CancelWrite | None = None
) -> InstanceRead:
    """Withdraw the request (its requester or a tenant admin)."""
    comment = body.comment if body else None
    await service.cancel_approval(session, actor=principal, instance_id=instance_id, comment=comment)
    return await _read(session, principal, instance_id)


@router.post(ONE + "/refresh-approvers", response_model=InstanceRead)
async def refresh_approvers(instance_id: uuid.UUID, principal: DefinitionAdmin, session: SessionDep) -> InstanceRead:
    """Re-resolve the open steps' approvers after fixing a group, role or manager (un-flags a stuck step)."""
    await service.refresh_approvers(session, actor=principal, instance_id=instance_id)
    return await _read(session, principal, instance_id)
