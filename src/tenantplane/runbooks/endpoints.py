"""/api/runbooks: versioned runbook CRUD (DELETE archives) and POST /api/runbooks/{id}/execute.

Reading, writing and executing runbooks all need `runbooks.manage` (automation engineers and admins).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from tenantplane.executions.schemas import ExecutionRead
from tenantplane.executions.service import execution_read
from tenantplane.identity.auth import Principal, require
from tenantplane.identity.permissions import Permission
from tenantplane.kit.db import SessionDep
from tenantplane.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from tenantplane.kit.schemas import INT32_MAX, Page
from tenantplane.runbooks import repository as repo
from tenantplane.runbooks import service
from tenantplane.runbooks.schemas import ExecuteRequest, RunbookRead, RunbookSummary, RunbookVersionRead, RunbookWrite

router = APIRouter(tags=["runbooks"])
RunbookAdmin = Annotated[Principal, Depends(require(Permission.RUNBOOKS_MANAGE))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


@router.get("/api/runbooks", response_model=Page[RunbookSummary])
async def list_runbooks(
    principal: RunbookAdmin,
    session: SessionDep,
    q: str | None = None,
    include_archived: bool = False,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[RunbookSummary]:
    rows, next_cursor = await repo.list_runbooks(
        session, principal.tenant, q=q, include_archived=include_archived, cursor=cursor, limit=limit
    )
    items = [
        RunbookSummary(
            id=r.id,
            name=r.name,
            description=r.description,
            version=r.current_version,
            archived_at=r.archived_at,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
        for r in rows
    ]
    return Page(items=items, next_cursor=next_cursor)


@router.post("/api/runbooks", response_model=RunbookRead, status_code=201)
async def create_runbook(body: RunbookWrite, principal: RunbookAdmin, session: SessionDep) -> RunbookRead:
    return await service.create_runbook(session, actor=principal, data=body)


@router.get("/api/runbooks/{runbook_id}", response_model=RunbookRead)
async def read_runbook(runbook_id: uuid.UUID, principal: RunbookAdmin, session: SessionDep) -> RunbookRead:
    runbook = await repo.get_runbook(session, principal.tenant, runbook_id)
    version = await repo.get_version(session, principal.tenant, runbook.id, runbook.current_version)
    return service.runbook_read(runbook, version.definition)


@router.put("/api/runbooks/{runbook_id}", response_model=RunbookRead)
async def update_runbook(
    runbook_id: uuid.UUID, body: RunbookWrite, principal: RunbookAdmin, session: SessionDep
) -> RunbookRead:
    """Saves the body as the runbook's next version (the whole definition, as in POST)."""
    runbook = await repo.get_runbook(session, principal.tenant, runbook_id, for_update=True)
    return await service.update_runbook(session, actor=principal, runbook=runbook, data=body)


@router.delete("/api/runbooks/{runbook_id}", status_code=204)
async def archive_runbook(
    runbook_id: uuid.UUID,
    principal: RunbookAdmin,
    session: SessionDep,
    force: Annotated[bool, Query(description="Archive even while catalog items or workflows use it")] = False,
) -> Response:
    """Archive. In use by active catalog items or live workflows → 409 with `used_by` [{type, id, name}] and
    nothing changed, unless `force=true` (the audit event then lists them)."""
    runbook = await repo.get_runbook(session, principal.tenant, runbook_id, for_update=True)
    await service.archive_runbook(session, actor=principal, runbook=runbook, force=force)
    return Response(status_code=204)


@router.get("/api/runbooks/{runbook_id}/versions", response_model=Page[RunbookVersionRead])
async def list_runbook_versions(
    runbook_id: uuid.UUID, principal: RunbookAdmin, session: SessionDep
) -> Page[RunbookVersionRead]:
    """Every saved version, newest first."""
    runbook = await repo.get_runbook(session, principal.tenant, runbook_id)
    versions = await repo.list_versions(session, principal.tenant, runbook.id)
    return Page(items=[RunbookVersionRead.model_validate(v) for v in versions], next_cursor=None)


@router.get("/api/runbooks/{runbook_id}/versions/{version}", response_model=RunbookVersionRead)
async def read_runbook_version(
    runbook_id: uuid.UUID,
    version: Annotated[int, Path(ge=1, le=INT32_MAX)],
    principal: RunbookAdmin,
    session: SessionDep,
) -> RunbookVersionRead:
    found = await repo.get_version(session, principal.tenant, runbook_id, version)
    return RunbookVersionRead.model_validate(found)


@router.post("/api/runbooks/{runbook_id}/execute", response_model=ExecutionRead, status_code=202)
async def execute_runbook(
    runbook_id: uuid.UUID, body: ExecuteRequest, principal: RunbookAdmin, session: SessionDep
) -> ExecutionRead:
    """Queues an execution of the current version; follow it at /api/executions/{id} (and /logs)."""
    runbook = await repo.get_runbook(session, principal.tenant, runbook_id)
    execution = await service.execute_runbook(session, actor=principal, runbook=runbook, parameters=body.parameters)
    return await execution_read(session, execution)
