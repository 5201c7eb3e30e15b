"""/api/secrets: create, list, read, replace and delete tenant secrets (names only ever come back).

All routes need the `secrets.manage` permission (automation engineers and admins).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from tenantplane.identity.auth import Principal, require
from tenantplane.identity.permissions import Permission
from tenantplane.kit.db import SessionDep
from tenantplane.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from tenantplane.kit.schemas import Page
from tenantplane.secrets import repository as repo
from tenantplane.secrets import service
from tenantplane.secrets.schemas import SecretCreate, SecretRead, SecretUpdate
from tenantplane.settings import Settings

router = APIRouter(tags=["secrets"])
SecretAdmin = Annotated[Principal, Depends(require(Permission.SECRETS_MANAGE))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def _secret_key(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return settings.resolved_secret_key


SecretKey = Annotated[str, Depends(_secret_key)]


@router.get("/api/secrets", response_model=Page[SecretRead])
async def list_secrets(
    principal: SecretAdmin, session: SessionDep, cursor: str | None = None, limit: Limit = DEFAULT_LIMIT
) -> Page[SecretRead]:
    rows, next_cursor = await repo.list_secrets(session, principal.tenant, cursor=cursor, limit=limit)
    return Page(items=[SecretRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/api/secrets", response_model=SecretRead, status_code=201)
async def create_secret(body: SecretCreate, principal: SecretAdmin, session: SessionDep, key: SecretKey) -> SecretRead:
    secret = await service.create_secret(session, actor=principal, data=body, secret_key=key)
    return SecretRead.model_validate(secret)


@router.get("/api/secrets/{secret_id}", response_model=SecretRead)
async def read_secret(secret_id: uuid.UUID, principal: SecretAdmin, session: SessionDep) -> SecretRead:
    return SecretRead.model_validate(await repo.get_secret(session, principal.tenant, secret_id))


@router.put("/api/secrets/{secret_id}", response_model=SecretRead)
async def replace_secret_value(
    secret_id: uuid.UUID, body: SecretUpdate, principal: SecretAdmin, session: SessionDep, key: SecretKey
) -> SecretRead:
    secret = await repo.get_secret(session, principal.tenant, secret_id)
    updated = await service.update_secret(session, actor=principal, secret=secret, data=body, secret_key=key)
    return SecretRead.model_validate(updated)


@router.delete("/api/secrets/{secret_id}", status_code=204)
async def delete_secret(secret_id: uuid.UUID, principal: SecretAdmin, session: SessionDep) -> Response:
    secret = await repo.get_secret(session, principal.tenant, secret_id)
    await service.delete_secret(session, actor=principal, secret=secret)
    return Response(status_code=204)
