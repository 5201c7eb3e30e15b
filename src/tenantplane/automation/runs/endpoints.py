"""HTTP routes of workflow runs: execute, approval gates and the approvals inbox.

Retrying and the step-event stream are `/api/executions/*` routes, so they live in `executions` (retry reaches the
engine through its `on_retry_requested("workflow")` hook). Executing needs `workflows.manage`; gates are decided by
their approvers; the inbox is anyone's own.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from tenantplane.automation.runs import gates, inbox, service
from tenantplane.automation.runs import repository as repo
from tenantplane.automation.runs.schemas import Decision, ExecuteWorkflow, GateRead, GateStatus, InboxItem
from tenantplane.executions.schemas import ExecutionRead
from tenantplane.executions.service import execution_read
from tenantplane.identity.auth import CurrentUser, Principal, require
from tenantplane.identity.permissions import Permission
from tenantplane.kit.db import SessionDep
from tenantplane.kit.errors import NotFound
from tenantplane.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from tenantplane.kit.schemas import Page

router = APIRouter(tags=["automation"])
WorkflowAdmin = Annotated[Principal, Depends(require(Permission.WORKFLOWS_MANAGE))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
PATH = "/api/workflows"
ONE = PATH + "/{workflow_id:uuid}"  # typed, so /api/workflows/definitions stays the ITSM definitions' path
GATES = "/api/automation/approvals"


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
