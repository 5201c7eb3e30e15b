"""Where ITSM records meet their approval instances: start one at submit, lock it with the record, cancel it with
the record, react to its end, and let its approvers read the request. Everything runs in the caller's transaction.
"""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals import repository as approvals_repo
from tenantplane.approvals.models import (
    ApprovalAssignment,
    ApprovalDefinition,
    ApprovalDefinitionVersion,
    ApprovalEvent,
    ApprovalInstance,
)
from tenantplane.approvals.service import cancel_instance, start_workflow_instance
from tenantplane.approvals.starting import PlannedStart, Resolution, plan_start
from tenantplane.identity.auth import Principal
from tenantplane.identity.callers import PrincipalUser
from tenantplane.itsm import fulfillment, lifecycle
from tenantplane.itsm.models import CatalogItem, ChangeRequest, ServiceRequest


async def _start(
    session: AsyncSession,
    record: ServiceRequest | ChangeRequest,
    record_type: str,
    *,
    definition_id: uuid.UUID,
    actor: Principal,
    variables: dict[str, object],
    requested_for_id: uuid.UUID | None = None,
) -> ApprovalInstance:
    """Start approving the record along `definition_id` and remember the instance on it."""
    definition = await approvals_repo.get_definition(session, record.tenant_id, definition_id)
    instance = await start_workflow_instance(
        session,
        definition=definition,
        record_type=record_type,
        record_id=record.id,
        requester_id=actor.id,
        requested_for_id=requested_for_id,
        variables=variables,
    )
    record.approval_instance_id = instance.id
    await session.flush()
    return instance


def _request_variables(item: CatalogItem, request: ServiceRequest) -> dict[str, object]:
    return {"number": request.number, "item": item.name, **request.variables}


async def plan_request_approval(
    session: AsyncSession,
    item: CatalogItem,
    request: ServiceRequest,
    requester: PrincipalUser,
    definition: ApprovalDefinition,
    version: ApprovalDefinitionVersion,
    resolution: Resolution | None = None,
) -> PlannedStart | None:
    """The approval a new request starts, planned to be written with it (None: start it after the request)."""
    return await plan_start(
        session,
        definition=definition,
        version=version,
        record_type=lifecycle.REQUEST,
        record_id=request.id,
        requester=requester,
        requested_for_id=request.requested_for_id,
        variables=_request_variables(item, request),
        resolution=resolution,
    )


async def after_request_submit(
    session: AsyncSession, *, item: CatalogItem, request: ServiceRequest, actor: Principal
) -> None:
    """Start the item's approval ladder in this transaction, or go straight to fulfillment without one (the
    request has pinned its fulfillment)."""
    if item.workflow_definition_id is None:
        await lifecycle.note(session, request, "no_approval", "No approval needed for this item")
        await fulfillment.start_fulfillment(session, request, item)
        return
    instance = await _start(
        session,
        request,
        lifecycle.REQUEST,
        definition_id=item.workflow_definition_id,
        actor=actor,
        requested_for_id=request.requested_for_id,
        variables=_request_variables(item, request),
    )
    data = {"approval_instance_id": str(instance.id)}
    await lifecycle.note(session, request, "approval_started", "Waiting for approval", data=data)
    if instance.status != "pending":  # e.g. a ladder whose every step was skipped
        await on_request_approval_finished(session, request, instance)


async def after_change_submit(session: AsyncSession, *, change: ChangeRequest, actor: Principal) -> None:
    """A change with an approval definition waits for it; a standard change without one is scheduled at once."""
    if change.workflow_definition_id is None:
        await lifecycle.move_change(session, change, "scheduled", actor_id=None, message="Pre-approved standard change")
        return
    variables: dict[str, object] = {
        "number": change.number,
        "title": change.title,
        "type": change.type,
        "risk": change.risk,
        "impact": change.impact,
    }
    await _start(
        session, change, lifecycle.CHANGE, definition_id=change.workflow_definition_id, actor=actor, variables=variables
    )


async def on_request_approval_finished(
    session: AsyncSession, request: ServiceRequest, instance: ApprovalInstance
) -> None:
    """Approved: fulfil the request; rejected or cancelled: so is the request."""
    if request.status != "pending_approval":
        return  # already moved on (e.g. the request was cancelled first)
    if instance.status == "approved":
        item = await session.get_one(CatalogItem, request.catalog_item_id)
        await lifecycle.note(session, request, "approved", "Approved")
        await fulfillment.start_fulfillment(session, request, item)
    elif instance.status in ("rejected", "cancelled"):
        await lifecycle.move_request(
            session, request, instance.status, actor_id=None, message=f"Approval {instance.status}"
        )


async def on_change_approval_finished(session: AsyncSession, change: ChangeRequest, instance: ApprovalInstance) -> None:
    if change.status != "pending_approval":
        return
    target = {"approved": "scheduled", "rejected": "rejected", "cancelled": "cancelled"}[instance.status]
    await lifecycle.move_change(session, change, target, actor_id=None, message=f"Approval {instance.status}")


async def lock_record(session: AsyncSession, record: ServiceRequest | ChangeRequest) -> ApprovalInstance | None:
    """Lock a record for a change of status, in the same order as a final decision does: its approval instance
    first, then the record (the other order could deadlock against a concurrent approve)."""
    instance = None
    if record.approval_instance_id is not None:
        instance = await approvals_repo.get_instance(session, record.tenant_id, record.approval_instance_id, lock=True)
    await session.refresh(record, with_for_update=True)
    return instance


async def before_cancel(session: AsyncSession, *, actor: Principal, record: ServiceRequest | ChangeRequest) -> None:
    """Cancelling a request or change closes its pending approval too."""
    instance = await lock_record(session, record)
    if instance is not None and instance.status == "pending" and record.status == "pending_approval":
        await cancel_instance(session, actor=actor, instance=instance, run_hooks=False)


async def visible_as_approver(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID, *, lock: bool
) -> ServiceRequest | None:
    """Approvers (current, or who decided) may read the request they approve."""
    instance_ids = select(ApprovalInstance.id).where(
        ApprovalInstance.tenant_id == principal.tenant, ApprovalInstance.record_id == request_id
    )
    involved = exists().where(
        ApprovalAssignment.instance_id.in_(instance_ids), ApprovalAssignment.user_id == principal.id
    ) | exists().where(ApprovalEvent.instance_id.in_(instance_ids), ApprovalEvent.actor_id == principal.id)
    stmt = select(ServiceRequest).where(
        ServiceRequest.tenant_id == principal.tenant, ServiceRequest.id == request_id, involved
    )
    found: ServiceRequest | None = await session.scalar(stmt.with_for_update() if lock else stmt)
    return found
