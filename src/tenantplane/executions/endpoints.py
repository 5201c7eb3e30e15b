"""/api/executions: list and read runs, stream their logs and step events (Server-Sent Events), cancel and retry them.

Any tenant user may call these (retrying needs `workflows.manage`); each sees the executions they started, unless
they may read all. A kind that cancels or retries its own way (a workflow: its engine) does so through a hook.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from tenantplane.executions import repository as repo
from tenantplane.executions import service
from tenantplane.executions.logstream import log_events, step_events
from tenantplane.executions.models import ExecutionKind, ExecutionStatus
from tenantplane.executions.schemas import ExecutionRead, ExecutionSummary
from tenantplane.executions.service import execution_read
from tenantplane.identity.auth import CurrentUser, Principal, require
from tenantplane.identity.permissions import Permission
from tenantplane.kit.db import SessionDep
from tenantplane.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from tenantplane.kit.schemas import INT32_MAX, Page

router = APIRouter(tags=["executions"])
WorkflowAdmin = Annotated[Principal, Depends(require(Permission.WORKFLOWS_MANAGE))]


@router.get("/api/executions", response_model=Page[ExecutionSummary])
async def list_executions(
    principal: CurrentUser,
    session: SessionDep,
    kind: ExecutionKind | None = None,
    status: ExecutionStatus | None = None,
    runbook_id: uuid.UUID | None = None,
    workflow_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[ExecutionSummary]:
    rows, next_cursor = await repo.list_visible(
        session,
        principal,
        kind=kind,
        status=status,
        runbook_id=runbook_id,
        workflow_id=workflow_id,
        cursor=cursor,
        limit=limit,
    )
    return Page(items=await service.summaries(session, rows), next_cursor=next_cursor)


@router.get("/api/executions/{execution_id}", response_model=ExecutionRead)
async def read_execution(execution_id: uuid.UUID, principal: CurrentUser, session: SessionDep) -> ExecutionRead:
    return await execution_read(session, await repo.get_visible(session, principal, execution_id))


@router.get(
    "/api/executions/{execution_id}/logs",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "log, status and end events"}},
)
async def stream_execution_logs(
    execution_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    request: Request,
    last_event_id: Annotated[int | None, Header(ge=0, le=INT32_MAX)] = None,
) -> StreamingResponse:
    """Server-Sent Events: `log` chunks as the actions write them, `status` changes, a final `end`.

    Reconnecting with `Last-Event-ID` resumes after the last chunk received.
    """
    execution = await repo.get_visible(session, principal, execution_id)
    events = log_events(
        request.app.state.db, tenant_id=execution.tenant_id, execution_id=execution.id, after=last_event_id or 0
    )
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)


@router.post("/api/executions/{execution_id}/cancel", response_model=ExecutionRead, status_code=202)
async def cancel_execution(execution_id: uuid.UUID, principal: CurrentUser, session: SessionDep) -> ExecutionRead:
    """A queued execution is cancelled at once; a running one when its worker has killed the script."""
    execution = await repo.get_visible(session, principal, execution_id)
    execution = await service.cancel_execution(session, actor=principal, execution=execution)
    return await execution_read(session, execution)


@router.post("/api/executions/{execution_id}/retry", response_model=ExecutionRead, status_code=202)
async def retry_execution(execution_id: uuid.UUID, principal: WorkflowAdmin, session: SessionDep) -> ExecutionRead:
    """Re-run a failed or rejected workflow execution from its failed steps; succeeded steps are not re-run.

    Only workflow executions can be retried (409 for others), so it needs `workflows.manage`."""
    execution = await repo.get_visible(session, principal, execution_id)
    execution = await service.retry_execution(session, actor=principal, execution=execution)
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
    execution = await repo.get_visible(session, principal, execution_id)
    events = step_events(request.app.state.db, tenant_id=execution.tenant_id, execution_id=execution.id)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)
