"""HTTP routes of automation workflows: definitions, validation, execution, retry, approval gates, the inbox.

Writing and executing need `workflows.manage`; gates are decided by their approvers; the inbox is anyone's own.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from tenantplane.automation import definitions, gates, inbox, service, trigger_endpoints
from tenantplane.automation import repository as repo
from tenantplane.automation.schemas import (
    Decision,
    ExecuteWorkflow,
    FieldProblem,
    GateRead,
    GateStatus,
    InboxItem,
    ValidationResult,
    WorkflowRead,
    WorkflowWrite,
)
from tenantplane.automation.validation import workflow_problems
from tenantplane.executions import repository as executions_repo
from tenantplane.executions.logstream import step_events
from tenantplane.executions.schemas import ExecutionRead
from tenantplane.executions.service import execution_read
from tenantplane.identity.auth import CurrentUser, Principal, require
from tenantplane.identity.permissions import Permission
from tenantplane.kit.db import SessionDep
from tenantplane.kit.errors import NotFound
from tenantplane.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from tenantplane.kit.schemas import INT32_MAX, Page

router = APIRouter(tags=["automation"])
WorkflowAdmin = Annotated[Principal, Depends(require(Permission.WORKFLOWS_MANAGE))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
PATH = "/api/workflows"
ONE = PATH + "/{workflow_id:uuid}"  # typed, so /api/workflows/definitions stays the ITSM definitions' path
GATES = "/api/automation/approvals"


@router.post(PATH, response_model=WorkflowRead, status_code=201)
async def create_workflow(body: WorkflowWrite, principal: WorkflowAdmin, session: SessionDep) -> WorkflowRead:
    """A new automation workflow (version 1); 422 lists every problem with its field path."""
    return await definitions.create_workflow(session, actor=principal, data=body)


@router.get(PATH, response_model=Page[WorkflowRead])
async def list_workflows(
    principal: WorkflowAdmin,
    session: SessionDep,
    include_archived: bool = False,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[WorkflowRead]:
    rows, next_cursor = await repo.list_workflows(
        session, principal.tenant, include_archived=include_archived, cursor=cursor, limit=limit
    )
    versions = await repo.current_versions(session, rows)
    items = [definitions.workflow_read(w, versions[w.id].definition) for w in rows]
    return Page(items=items, next_cursor=next_cursor)


@router.post(PATH + "/validate", response_model=ValidationResult)
async def validate_workflow(body: WorkflowWrite, principal: WorkflowAdmin, session: SessionDep) -> ValidationResult:
    """The same checks as saving, without saving: `valid` and every problem."""
    problems = await workflow_problems(session, principal.tenant, body)
    errors = [FieldProblem(field=field, message=message) for field, message in problems]
    return ValidationResult(valid=not errors, errors=errors)


@router.get(ONE, response_model=WorkflowRead)
async def read_workflow(
    workflow_id: uuid.UUID,
    principal: WorkflowAdmin,
    session: SessionDep,
    version: Annotated[
        int | None, Query(ge=1, le=INT32_MAX, description="An earlier version; default: the current one")
    ] = None,
) -> WorkflowRead:
    workflow = await repo.get_workflow(session, principal.tenant, workflow_id)
    stored = await repo.get_version(session, principal.tenant, workflow.id, version or workflow.version)
    read = definitions.workflow_read(workflow, stored.definition)
    return read.model_copy(update={"version": stored.version})


@router.put(ONE, response_model=WorkflowRead)
async def update_workflow(
    workflow_id: uuid.UUID, body: WorkflowWrite, principal: WorkflowAdmin, session: SessionDep
) -> WorkflowRead:
    """Save as the next version; running executions keep the version they started with."""
    return await definitions.update_workflow(session, actor=principal, workflow_id=workflow_id, data=body)


@router.delete(ONE, status_code=204)
async def archive_workflow(
    workflow_id: uuid.UUID,
    principal: WorkflowAdmin,
    session: SessionDep,
    force: Annotated[bool, Query(description="Archive even while catalog items fulfil through it")] = False,
) -> Response:
    """Archive. In use by active catalog items (workflow fulfillment) → 409 with `used_by` [{type, id, name}] and
    nothing changed, unless `force=true` (the audit event then lists them)."""
    await definitions.archive_workflow(session, actor=principal, workflow_id=workflow_id, force=force)
    return Response(status_code=204)


@router.post(ONE + "/execute", response_model=ExecutionRead, status_code=202)
async def execute_workflow(
    workflow_id: uuid.UUID, principal: WorkflowAdmin, session: SessionDep, body: ExecuteWorkflow | None = None
) -> ExecutionRead:
    """Start an execution of the current version (inputs checked against its schema → 422 `inputs.<name>`)."""
    inputs = body.inputs if body else {}
    execution = await service.execute_workflow(
        session, actor=principal, tenant_id=principal.tenant, workflow_id=workflow_id, inputs=inputs
    )
    return await execution_read(session, execution)


@router.post("/api/executions/{execution_id}/retry", response_model=ExecutionRead, status_code=202)
async def retry_execution(execution_id: uuid.UUID, principal: WorkflowAdmin, session: SessionDep) -> ExecutionRead:
    """Re-run a failed or rejected workflow execution from its failed steps; succeeded steps are not re-run."""
    execution = await executions_repo.get_visible(session, principal, execution_id)
    execution = await service.retry_workflow_execution(session, actor=principal, execution=execution)
    return await execution_read(session, execution)


@router.get(
    "/api/executions/{execution_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "status, step and end events"}},
)
async def stream_execution_events(
    execution_id: uuid.UUID, principal: CurrentUser, session: SessionDep, request: Request
) -> StreamingResponse:
    """Server-Sent Events for the execution view: `status` and `step` changes, then a final `end`."""
    execution = await executions_repo.get_visible(session, principal, execution_id)
    events = step_events(request.app.state.db, tenant_id=execution.tenant_id, execution_id=execution.id)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)


@router.get(GATES, response_model=Page[GateRead])
async def list_gates(
    principal: CurrentUser,
    session: SessionDep,
    status: GateStatus | None = None,
    mine: Annotated[bool, Query(description="Only gates you may decide")] = False,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[GateRead]:
    rows, next_cursor = await inbox.list_gates(session, principal, status=status, mine=mine, cursor=cursor, limit=limit)
    return Page(items=[GateRead.model_validate(g) for g in rows], next_cursor=next_cursor)


@router.get(GATES + "/{approval_id}", response_model=GateRead)
async def read_gate(approval_id: uuid.UUID, principal: CurrentUser, session: SessionDep) -> GateRead:
    gate = await repo.get_gate(session, principal.tenant, approval_id)
    if not await inbox.may_see(session, principal, gate):
        raise NotFound(f"No automation approval {approval_id} in this tenant.")
    return GateRead.model_validate(gate)


async def _decide(
    approval_id: uuid.UUID,
    principal: Principal,
    session: SessionDep,
    verdict: Literal["approved", "rejected"],
    body: Decision | None,
) -> GateRead:
    comment = body.comment if body else None
    gate = await gates.decide_gate(session, actor=principal, gate_id=approval_id, verdict=verdict, comment=comment)
    return GateRead.model_validate(gate)


@router.post(GATES + "/{approval_id}/approve", response_model=GateRead)
async def approve_gate(
    approval_id: uuid.UUID, principal: CurrentUser, session: SessionDep, body: Decision | None = None
) -> GateRead:
    """Approve as an eligible approver (not who started the execution); quorum resumes the execution."""
    return await _decide(approval_id, principal, session, "approved", body)


@router.post(GATES + "/{approval_id}/reject", response_model=GateRead)
async def reject_gate(
    approval_id: uuid.UUID, principal: CurrentUser, session: SessionDep, body: Decision | None = None
) -> GateRead:
    """Reject with a comment: the gate takes its `rejected` edge, or the execution is rejected."""
    return await _decide(approval_id, principal, session, "rejected", body)


@router.get("/api/approvals/inbox", response_model=Page[InboxItem])
async def approvals_inbox(
    principal: CurrentUser, session: SessionDep, cursor: str | None = None, limit: Limit = DEFAULT_LIMIT
) -> Page[InboxItem]:
    """Everything awaiting your decision, newest first: ITSM approval steps and automation gates (cursor pages)."""
    items, next_cursor = await inbox.inbox(session, principal, cursor=cursor, limit=limit)
    return Page(items=items, next_cursor=next_cursor)


router.include_router(trigger_endpoints.router)
