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
from tenantplane.automation.runs.service import execute_workflow, retry_workflow_execution
from tenantplane.executions import repository as executions_repo
from tenantplane.executions.causes import Cause
from tenantplane.executions.models import Execution
from tenantplane.executions.service import REOPENABLE
from tenantplane.identity.auth import Principal
from tenantplane.itsm import lifecycle, pinning, records
from tenantplane.itsm.models import CatalogItem, ChangeRequest, ServiceRequest
from tenantplane.kit.errors import Conflict, DomainError
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
    """Pin the fulfillment, then start the item's approval ladder in this transaction, or go straight to
    fulfillment without one."""
    await pinning.pin_fulfillment(session, request, item)
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


def fulfillment_type(request: ServiceRequest, item: CatalogItem) -> str:
    """How the request is fulfilled: what it pinned at submit (the item's type for requests from before pins)."""
    return request.fulfillment_type or item.fulfillment_type


async def start_fulfillment(session: AsyncSession, request: ServiceRequest, item: CatalogItem) -> None:
    if request.fulfillment_type is None:  # submitted before requests pinned their fulfillment: pin it now
        await pinning.pin_fulfillment(session, request, item)
    kind = fulfillment_type(request, item)
    await lifecycle.move_request(
        session, request, "in_fulfillment", actor_id=None, message=f"Fulfillment started ({kind})"
    )
    if kind == "manual":
        await _note(session, request, "awaiting_fulfiller", "Waiting for a fulfiller")
        return
    try:
        execution = await _start_pinned(session, request, actor=None)
    except DomainError as exc:
        await lifecycle.move_request(
            session,
            request,
            "fulfillment_failed",
            actor_id=None,
            message=f"The fulfillment {kind} could not start: {exc.detail}",
        )
        return
    await _started(session, request, execution)


def _what(request: ServiceRequest) -> str:
    """ "Runbook 'Create account' v3" — the pinned fulfillment in the timeline's words."""
    noun = "Runbook" if request.fulfillment_type == "runbook" else "Automation workflow"
    return f"{noun} '{request.fulfillment_name}' v{request.fulfillment_version}"


async def _start_pinned(session: AsyncSession, request: ServiceRequest, *, actor: Principal | None) -> Execution:
    """Start the pinned runbook or workflow version with the pinned parameters (DomainError when it cannot).

    `actor` is who retries it; the first run is started by the platform for the requester."""
    if request.fulfillment_error is not None:
        raise Conflict(request.fulfillment_error)
    target_id = request.fulfillment_runbook_id or request.fulfillment_workflow_id
    if target_id is None or request.fulfillment_version is None:
        raise Conflict(f"the request pinned no {request.fulfillment_type} to run")
    parameters = request.fulfillment_parameters or {}
    if request.fulfillment_type == "runbook":
        runbook = await get_runbook(session, request.tenant_id, target_id)
        return await execute_runbook(
            session,
            actor=actor,
            runbook=runbook,
            parameters=parameters,
            started_by=request.requester_id,
            origin=(REQUEST, request.id),
            cause=fulfillment_cause(request),
            version=request.fulfillment_version,
        )
    return await execute_workflow(
        session,
        actor=actor,
        tenant_id=request.tenant_id,
        workflow_id=target_id,
        inputs=parameters,
        started_by=request.requester_id,
        origin=(REQUEST, request.id),
        cause=fulfillment_cause(request),
        version=request.fulfillment_version,
    )


def fulfillment_cause(request: ServiceRequest) -> Cause:
    """A fulfillment run is caused by the requester and whom the request is for: four-eyes keeps both off its gates."""
    return Cause.of("fulfillment", ("requester", request.requester_id), ("requested_for", request.requested_for_id))


async def _started(session: AsyncSession, request: ServiceRequest, execution: Execution) -> None:
    """The request follows this run now (its end, heard through the execution hooks, decides the request)."""
    request.fulfillment_execution_id = execution.id
    request.fulfillment_runs += 1
    await session.flush()
    data = {"execution_id": str(execution.id), "run": request.fulfillment_runs, "version": request.fulfillment_version}
    await _note(session, request, "fulfillment_started", f"{_what(request)} started", data=data)


async def retry_fulfillment(session: AsyncSession, *, actor: Principal, request: ServiceRequest) -> None:
    """Run a failed runbook or workflow fulfillment again: the pinned version with the pinned parameters.

    A failed or rejected workflow execution is retried from its failed steps (its succeeded steps keep their
    outputs); anything else starts a new run that the request follows. Nothing changes when it cannot start (409).
    """
    run = request.fulfillment_runs + 1
    who = actor.user.display_name if actor.user is not None else actor.label
    await lifecycle.move_request(
        session,
        request,
        "in_fulfillment",
        actor_id=actor.id,
        message=f"Fulfillment retried by {who} (run {run})",
        data={"run": run, "version": request.fulfillment_version, "parameters": request.fulfillment_parameters},
    )
    previous = None
    if request.fulfillment_type == "workflow" and request.fulfillment_execution_id is not None:
        previous = await executions_repo.get_execution(session, request.tenant_id, request.fulfillment_execution_id)
    try:
        if previous is not None and previous.status in REOPENABLE:
            request.fulfillment_runs = run
            await session.flush()
            await retry_workflow_execution(session, actor=actor, execution=previous)
            return
        execution = await _start_pinned(session, request, actor=actor)
    except DomainError as exc:
        raise Conflict(f"The fulfillment cannot be retried: {exc.detail}") from exc
    await _started(session, request, execution)


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
    request.fulfillment_runs += 1
    await lifecycle.move_request(
        session,
        request,
        "in_fulfillment",
        actor_id=None,
        message="Fulfillment retried",
        data={"execution_id": str(execution.id), "run": request.fulfillment_runs},
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
