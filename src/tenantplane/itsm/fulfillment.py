"""Fulfillment of an approved service request: by hand, or by running the runbook or workflow it pinned at submit;
retries, and the request's end when its run ends. Everything here runs in the caller's transaction.
"""

from __future__ import annotations

import uuid
from typing import TypedDict

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.automation.runs.service import execute_workflow, retry_workflow_execution
from tenantplane.executions import repository as executions_repo
from tenantplane.executions.causes import Cause
from tenantplane.executions.models import Execution
from tenantplane.executions.service import REOPENABLE
from tenantplane.identity.auth import Principal
from tenantplane.itsm import lifecycle, pinning
from tenantplane.itsm.models import CatalogItem, ServiceRequest
from tenantplane.kit.errors import Conflict, DomainError
from tenantplane.runbooks.repository import get_runbook
from tenantplane.runbooks.service import execute_runbook


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
        await lifecycle.note(session, request, "awaiting_fulfiller", "Waiting for a fulfiller")
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


class _Run(TypedDict):
    """What a fulfillment run carries, whichever it starts: a runbook or a workflow."""

    actor: Principal | None
    started_by: uuid.UUID
    origin: tuple[str, uuid.UUID]
    cause: Cause
    version: int


async def _start_pinned(session: AsyncSession, request: ServiceRequest, *, actor: Principal | None) -> Execution:
    """Start the pinned runbook or workflow version with the pinned parameters (DomainError when it cannot).

    `actor` is who retries it; the first run is started by the platform for the requester."""
    if request.fulfillment_error is not None:
        raise Conflict(request.fulfillment_error)
    target_id = request.fulfillment_runbook_id or request.fulfillment_workflow_id
    if target_id is None or request.fulfillment_version is None:
        raise Conflict(f"the request pinned no {request.fulfillment_type} to run")
    parameters = request.fulfillment_parameters or {}
    run = _Run(
        actor=actor,
        started_by=request.requester_id,
        origin=(lifecycle.REQUEST, request.id),
        cause=fulfillment_cause(request),
        version=request.fulfillment_version,
    )
    if request.fulfillment_type == "runbook":
        runbook = await get_runbook(session, request.tenant_id, target_id)
        return await execute_runbook(session, runbook=runbook, parameters=parameters, **run)
    return await execute_workflow(session, tenant_id=request.tenant_id, workflow_id=target_id, inputs=parameters, **run)


def fulfillment_cause(request: ServiceRequest) -> Cause:
    """A fulfillment run is caused by the requester and whom the request is for: four-eyes keeps both off its gates."""
    return Cause.of("fulfillment", ("requester", request.requester_id), ("requested_for", request.requested_for_id))


async def _started(session: AsyncSession, request: ServiceRequest, execution: Execution) -> None:
    """The request follows this run now (its end, heard through the execution hooks, decides the request)."""
    request.fulfillment_execution_id = execution.id
    request.fulfillment_runs += 1
    await session.flush()
    data = {"execution_id": str(execution.id), "run": request.fulfillment_runs, "version": request.fulfillment_version}
    await lifecycle.note(session, request, "fulfillment_started", f"{_what(request)} started", data=data)


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
