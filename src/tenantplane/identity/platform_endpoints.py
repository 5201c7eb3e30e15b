"""Platform administration: tenants, managed by platform administrators who belong to no tenant.

Tenant users get 403 here, whatever their roles.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from tenantplane.audit.service import record_event
from tenantplane.identity import repository as repo
from tenantplane.identity import service
from tenantplane.identity.auth import PlatformAdminDep
from tenantplane.identity.models import Tenant
from tenantplane.identity.schemas import TenantCreate, TenantRead, TenantUpdate
from tenantplane.kit.db import SessionDep
from tenantplane.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, paginate
from tenantplane.kit.schemas import Page

router = APIRouter(prefix="/api/platform/tenants", tags=["platform"])


@router.get("", response_model=Page[TenantRead])
async def list_tenants(
    principal: PlatformAdminDep,
    session: SessionDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[TenantRead]:
    rows, next_cursor = await paginate(
        session, select(Tenant), created_col=Tenant.created_at, id_col=Tenant.id, cursor=cursor, limit=limit
    )
    return Page(items=[TenantRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("", response_model=TenantRead, status_code=201)
async def create_tenant(body: TenantCreate, principal: PlatformAdminDep, session: SessionDep) -> TenantRead:
    tenant = await service.create_tenant(session, actor=principal, slug=body.slug, name=body.name)
    return TenantRead.model_validate(tenant)


@router.get("/{tenant_id}", response_model=TenantRead)
async def read_tenant(tenant_id: uuid.UUID, principal: PlatformAdminDep, session: SessionDep) -> TenantRead:
    return TenantRead.model_validate(await repo.get_tenant(session, tenant_id))


@router.patch("/{tenant_id}", response_model=TenantRead)
async def update_tenant(
    tenant_id: uuid.UUID, body: TenantUpdate, principal: PlatformAdminDep, session: SessionDep
) -> TenantRead:
    tenant = await repo.get_tenant(session, tenant_id)
    # Null clears the tenant's own runbook limit (back to the operator's default); other fields ignore null.
    changes = {
        field: value
        for field, value in body.model_dump(exclude_unset=True).items()
        if value is not None or field == "max_running_runbooks"
    }
    for field, value in changes.items():
        setattr(tenant, field, value)
    await session.flush()
    await record_event(
        session,
        actor=principal,
        tenant_id=tenant.id,
        action="tenant.updated",
        object_type="tenant",
        object_id=tenant.id,
        summary=changes,
    )
    return TenantRead.model_validate(tenant)
