"""Where ITSM records meet the other systems: approval instances, fulfillment by hand / runbook / workflow,
and notifications to requesters and fulfillers. Everything here runs in the caller's transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals import repository as approvals_repo
from tenantplane.approvals.models import ApprovalAssignment, ApprovalEvent, ApprovalInstance
from tenantplane.approvals.service import cancel_instance, start_workflow_instance
from tenantplane.automation.service import execute_workflow
from tenantplane.executions.causes import Cause
from tenantplane.executions.models import Execution
from tenantplane.identity.auth import Principal
from tenantplane.itsm import lifecycle, records
from tenantplane.itsm.models import CatalogItem, ChangeRequest, ServiceRequest
from tenantplane.kit.errors import DomainError
from tenantplane.kit.templating import TemplateFailed, render_async
from tenantplane.runbooks.repository import get_runbook
from tenantplane.runbooks.service import execute_runbook

REQUEST = lifecycle.REQUEST
CHANGE = lifecycle.CHANGE


async def _start_approval(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    definition_id: uuid.UUID,
    record_type: str,
    record_id: uuid.UUID,
    requester_id: uuid.UUID,
    variables: dict[str, object],
    requested_for_id: uuid.UUID | None = None,
) -> ApprovalInstance:
    definition = await approvals_repo.get_definition(session, tenant_id, definition_id)
    return await start_workflow_instance(
        session,
        definition=definition,
        record_type=record_type,
        record_id=record_id,
        requester_id=requester_id,
        requested_for_id=requested_for_id,
        variables=variables,
    )


async def _note(
    session: AsyncSession, request: ServiceRequest, kind: str, message: str, data: dict[str, Any] | None = None
) -> None:
    """A system entry on the request's timeline."""
    await records.add_event(
        session,
        tenant_id=request.tenant_id,
        record_type=REQUEST,
        record_id=request.id,
        kind=kind,
        actor_id=None,
        message=message,
        data=data,
    )


async def after_submit(session: AsyncSession, *, item: CatalogItem, request: ServiceRequest, actor: Principal) -> None:
    """Start the item's approval ladder in this transaction, or go straight to fulfillment without one."""
    if item.workflow_definition_id is None:
        await _note(session, request, "no_approval", "No approval needed for this item")
        await start_fulfillment(session, request, item)
        return
    instance = await _start_approval(
        session,
        tenant_id=request.tenant_id,
        definition_id=item.workflow_definition_id,
        record_type=REQUEST,
        record_id=request.id,
        requester_id=actor.id,
        requested_for_id=request.requested_for_id,
        variables={"number": request.number, "item": item.name, **request.variables},
    )
    request.approval_instance_id = instance.id
    await session.flush()
    await _note(
        session, request, "approval_started", "Waiting for approval", data={"approval_instance_id": str(instance.id)}
    )
    if instance.status != "pending":  # e.g. a ladder whose every step was skipped
        await on_request_approval_finished(session, request, instance)


async def on_request_approval_finished(
    session: AsyncSession, request: ServiceRequest, instance: ApprovalInstance
) -> None:
    if request.status != "pending_approval":
        return  # already moved on (e.g. the request was cancelled first)
    if instance.status == "approved":
        item = await session.get_one(CatalogItem, request.catalog_item_id)
        await _note(session, request, "approved", "Approved")
        await start_fulfillment(session, request, item)
    elif instance.status in ("rejected", "cancelled"):
        await lifecycle.move_request(
            session, request, instance.status, actor_id=None, message=f"Approval {instance.status}"
        )


async def start_fulfillment(session: AsyncSession, request: ServiceRequest, item: CatalogItem) -> None:
    await lifecycle.move_request(
        session, request, "in_fulfillment", actor_id=None, message=f"Fulfillment started ({item.fulfillment_type})"
    )
    if item.fulfillment_type == "manual":
        await _note(session, request, "awaiting_fulfiller", "Waiting for a fulfiller")
    elif item.fulfillment_type == "runbook":
        await _run_runbook(session, request, item)
    else:
        await _run_workflow(session, request, item)


def template_context(request: ServiceRequest, item: CatalogItem) -> dict[str, Any]:
    """What fulfillment templates may use: the request's variables and a few facts about it."""
    return {
        "variables": request.variables,
        "request": {
            "id": str(request.id),
            "number": request.number,
            "requester_id": str(request.requester_id),
            "requested_for": str(request.requested_for_id),
            "justification": request.justification,
        },
        "item": {"id": str(item.id), "name": item.name, "category": item.category},
    }


def fulfillment_cause(request: ServiceRequest) -> Cause:
    """A fulfillment run is caused by the requester and whom the request is for: four-eyes keeps both off its gates."""
    return Cause.of("fulfillment", ("requester", request.requester_id), ("requested_for", request.requested_for_id))


async def _run_runbook(session: AsyncSession, request: ServiceRequest, item: CatalogItem) -> None:
    """Start the item's runbook with parameters rendered from the request; its end finishes the request."""
    config = item.fulfillment_config
    try:
        parameters = await render_async(config.get("parameters", {}), template_context(request, item))
        runbook = await get_runbook(session, request.tenant_id, uuid.UUID(str(config["runbook_id"])))
        execution = await execute_runbook(
            session,
            actor=None,
            runbook=runbook,
            parameters=parameters,
            started_by=request.requester_id,
            origin=(REQUEST, request.id),
            cause=fulfillment_cause(request),
        )
    except (TemplateFailed, DomainError) as exc:
        reason = exc.detail if isinstance(exc, DomainError) else str(exc)
        await lifecycle.move_request(
            session,
            request,
            "fulfillment_failed",
            actor_id=None,
            message=f"The fulfillment runbook could not start: {reason}",
        )
        return
    request.fulfillment_execution_id = execution.id
    await session.flush()
    await _note(
        session,
        request,
        "fulfillment_started",
        f"Runbook '{runbook.name}' started",
        data={"execution_id": str(execution.id)},
    )


async def _run_workflow(session: AsyncSession, request: ServiceRequest, item: CatalogItem) -> None:
    """Start the item's automation workflow with inputs mapped from the request; its end finishes the request."""
    config = item.fulfillment_config
    try:
        inputs = await render_async(config.get("inputs", {}), template_context(request, item))
        execution = await execute_workflow(
            session,
            actor=None,
            tenant_id=request.tenant_id,
            workflow_id=uuid.UUID(str(config["workflow_id"])),
            inputs=inputs,
            started_by=request.requester_id,
            origin=(REQUEST, request.id),
            cause=fulfillment_cause(request),
        )
    except (TemplateFailed, DomainError) as exc:
        reason = exc.detail if isinstance(exc, DomainError) else str(exc)
        await lifecycle.move_request(
            session,
            request,
            "fulfillment_failed",
            actor_id=None,
            message=f"The fulfillment workflow could not start: {reason}",
        )
        return
    request.fulfillment_execution_id = execution.id
    await session.flush()
    await _note(
        session,
        request,
        "fulfillment_started",
        "Automation workflow started",
        data={"execution_id": str(execution.id), "workflow_id": str(config["workflow_id"])},
    )


async def on_fulfillment_execution_finished(
    session: AsyncSession, request: ServiceRequest, execution: Execution
) -> None:
    """The fulfillment runbook (or workflow) ended: the request is fulfilled, or failed with the reason."""
    if request.status != "in_fulfillment" or request.fulfillment_execution_id != execution.id:
        return
    result = {"execution_id": str(execution.id)}
    if execution.status == "succeeded":
        await lifecycle.move_request(
            session,
            request,
            "fulfilled",
            actor_id=None,
            message="Fulfilled by automation",
            data={**result, "outputs": execution.outputs},
        )
    else:
        await lifecycle.move_request(
            session,
            request,
            "fulfillment_failed",
            actor_id=None,
            message=f"Fulfillment {execution.status}: {execution.error or execution.status}",
            data=result,
        )


async def on_fulfillment_execution_retried(
    session: AsyncSession, request: ServiceRequest, execution: Execution
) -> None:
    """Its failed fulfillment workflow was retried: the request is in fulfillment again until that ends."""
    if request.status != "fulfillment_failed" or request.fulfillment_execution_id != execution.id:
        return
    await lifecycle.move_request(
        session,
        request,
        "in_fulfillment",
        actor_id=None,
        message="Fulfillment retried",
        data={"execution_id": str(execution.id)},
    )


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


async def lock_record(session: AsyncSession, record: ServiceRequest | ChangeRequest) -> ApprovalInstance | None:
    """Lock a record for a change of status, in the same order as a final decision does: its approval instance
    first, then the record (the other order could deadlock against a concurrent approve)."""
    instance = None
    if record.approval_instance_id is not None:
        instance = await approvals_repo.get_instance(session, record.tenant_id, record.approval_instance_id, lock=True)
    await session.refresh(record, with_for_update=True)
    return instance


async def before_cancel(session: AsyncSession, *, actor: Principal, request: ServiceRequest) -> None:
    """Cancelling a request closes its pending approval too."""
    instance = await lock_record(session, request)
    if instance is not None and instance.status == "pending" and request.status == "pending_approval":
        await _cancel_instance(session, actor, instance)


async def _cancel_instance(session: AsyncSession, actor: Principal, instance: ApprovalInstance) -> None:
    await cancel_instance(session, actor=actor, instance=instance, run_hooks=False)


async def after_change_submit(session: AsyncSession, *, change: ChangeRequest, actor: Principal) -> None:
    """A change with an approval definition waits for it; a standard change without one is scheduled at once."""
    if change.workflow_definition_id is None:
        await lifecycle.move_change(session, change, "scheduled", actor_id=None, message="Pre-approved standard change")
        return
    instance = await _start_approval(
        session,
        tenant_id=change.tenant_id,
        definition_id=change.workflow_definition_id,
        record_type=CHANGE,
        record_id=change.id,
        requester_id=actor.id,
        variables={
            "number": change.number,
            "title": change.title,
            "type": change.type,
            "risk": change.risk,
            "impact": change.impact,
        },
    )
    change.approval_instance_id = instance.id
    await session.flush()


async def on_change_approval_finished(session: AsyncSession, change: ChangeRequest, instance: ApprovalInstance) -> None:
    if change.status != "pending_approval":
        return
    target = {"approved": "scheduled", "rejected": "rejected", "cancelled": "cancelled"}[instance.status]
    await lifecycle.move_change(session, change, target, actor_id=None, message=f"Approval {instance.status}")


async def before_change_cancel(session: AsyncSession, *, actor: Principal, change: ChangeRequest) -> None:
    instance = await lock_record(session, change)
    if instance is not None and instance.status == "pending" and change.status == "pending_approval":
        await _cancel_instance(session, actor, instance)
