"""HTTP routes of approval definitions: CRUD with versions (PUT = new version, DELETE = archive) and preview.

Service owners and admins write; every tenant user reads (requesters and approvers see who approves).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from tenantplane.approvals import definitions as service
from tenantplane.approvals import repository as repo
from tenantplane.approvals.definitions import approver_labels
from tenantplane.approvals.schemas import DefinitionRead, DefinitionStatus, DefinitionWrite, PreviewRead, PreviewRequest
from tenantplane.approvals.views import definition_read, definition_reads
from tenantplane.identity.auth import CurrentUser, Principal, require
from tenantplane.identity.permissions import Permission
from tenantplane.kit.db import SessionDep
from tenantplane.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from tenantplane.kit.schemas import INT32_MAX, Page

router = APIRouter(tags=["approval definitions"])
DefinitionAdmin = Annotated[Principal, Depends(require(Permission.APPROVAL_DEFINITIONS_MANAGE))]
PATH = "/api/workflows/definitions"


@router.post(PATH, response_model=DefinitionRead, status_code=201)
async def create_definition(body: DefinitionWrite, principal: DefinitionAdmin, session: SessionDep) -> DefinitionRead:
    """A new approval definition (version 1). Approver emails and group names are stored as ids."""
    definition, version = await service.create_definition(session, actor=principal, data=body)
    return definition_read(definition, version, await approver_labels(session, principal.tenant, [version]))


@router.get(PATH, response_model=Page[DefinitionRead])
async def list_definitions(
    principal: CurrentUser,
    session: SessionDep,
    status: DefinitionStatus | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[DefinitionRead]:
    rows, next_cursor = await repo.list_definitions(
        session, principal.tenant, status=status, q=q, cursor=cursor, limit=limit
    )
    return Page(items=await definition_reads(session, principal.tenant, rows), next_cursor=next_cursor)


@router.get(PATH + "/{definition_id}", response_model=DefinitionRead)
async def read_definition(
    definition_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    version: Annotated[
        int | None, Query(ge=1, le=INT32_MAX, description="An earlier version; default: the current one")
    ] = None,
) -> DefinitionRead:
    definition = await repo.get_definition(session, principal.tenant, definition_id)
    stored = await repo.get_version(session, principal.tenant, definition.id, version or definition.version)
    return definition_read(definition, stored, await approver_labels(session, principal.tenant, [stored]))


@router.put(PATH + "/{definition_id}", response_model=DefinitionRead)
async def update_definition(
    definition_id: uuid.UUID, body: DefinitionWrite, principal: DefinitionAdmin, session: SessionDep
) -> DefinitionRead:
    """Save as the next version; running instances keep the version they started with."""
    definition, version = await service.update_definition(
        session, actor=principal, definition_id=definition_id, data=body
    )
    return definition_read(definition, version, await approver_labels(session, principal.tenant, [version]))


@router.delete(PATH + "/{definition_id}", status_code=204)
async def archive_definition(
    definition_id: uuid.UUID,
    principal: DefinitionAdmin,
    session: SessionDep,
    force: Annotated[bool, Query(description="Archive even while catalog items or change defaults use it")] = False,
) -> Response:
    """Archive: it stays readable and running instances carry on, but no new instance can start from it.

    In use by active catalog items or the tenant's change defaults → 409 with `used_by` [{type, id, name}] and
    nothing changed, unless `force=true` (the audit event then lists them).
    """
    await service.archive_definition(session, actor=principal, definition_id=definition_id, force=force)
    return Response(status_code=204)


@router.post(PATH + "/{definition_id}/preview", response_model=PreviewRead)
async def preview_definition(
    definition_id: uuid.UUID, principal: CurrentUser, session: SessionDep, body: PreviewRequest | None = None
) -> PreviewRead:
    """Dry run: who would have to approve a request by this requester (default: you), in which order."""
    definition = await repo.get_definition(session, principal.tenant, definition_id)
    version = await repo.get_version(session, principal.tenant, definition.id, definition.version)
    requester_id = (body.requester_id if body else None) or principal.id
    return await service.preview_definition(
        session,
        tenant_id=principal.tenant,
        version=version,
        requester_id=requester_id,
        requested_for_id=body.requested_for_id if body else None,
    )
