"""HTTP routes of workflow definitions: create, list, validate, read (any version), update, archive.

All need `workflows.manage`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from tenantplane.automation.definitions import repository as repo
from tenantplane.automation.definitions import service as definitions
from tenantplane.automation.definitions.schemas import FieldProblem, ValidationResult, WorkflowRead, WorkflowWrite
from tenantplane.automation.definitions.validation import workflow_problems
from tenantplane.identity.auth import Principal, require
from tenantplane.identity.permissions import Permission
from tenantplane.kit.db import SessionDep
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
