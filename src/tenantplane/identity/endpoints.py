"""Tenant administration: users, groups with their members, and roles.

Reading users and groups is open to the built-in staff roles (approver pickers); changing them is for admins.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from tenantplane.identity import repository as repo
from tenantplane.identity import service, tenant_settings
from tenantplane.identity.auth import Principal, require
from tenantplane.identity.auth_endpoints import router as auth_router
from tenantplane.identity.permissions import BUILT_IN_ROLES, Permission
from tenantplane.identity.platform_endpoints import router as platform_router
from tenantplane.identity.schemas import (
    GroupCreate,
    GroupRead,
    GroupUpdate,
    MemberAdd,
    RoleRead,
    TenantSettingsRead,
    TenantSettingsUpdate,
    UserCreate,
    UserRead,
    UserUpdate,
)
from tenantplane.identity.scim.endpoints import scim_router
from tenantplane.identity.scim.endpoints import tokens_router as scim_tokens_router
from tenantplane.kit.db import SessionDep
from tenantplane.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from tenantplane.kit.schemas import Page

router = APIRouter(tags=["identity"])
router.include_router(auth_router)
router.include_router(platform_router)
router.include_router(scim_router)
router.include_router(scim_tokens_router)
Reader = Annotated[Principal, Depends(require(Permission.USERS_READ))]
UserAdmin = Annotated[Principal, Depends(require(Permission.USERS_MANAGE))]
GroupAdmin = Annotated[Principal, Depends(require(Permission.GROUPS_MANAGE))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


@router.get("/api/users", response_model=Page[UserRead])
async def list_users(
    principal: Reader,
    session: SessionDep,
    q: str | None = None,
    role: str | None = None,
    active: bool | None = None,
    group_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[UserRead]:
    rows, next_cursor = await repo.list_users(
        session, principal.tenant, q=q, role=role, active=active, group_id=group_id, cursor=cursor, limit=limit
    )
    return Page(items=[UserRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/api/users", response_model=UserRead, status_code=201)
async def create_user(body: UserCreate, principal: UserAdmin, session: SessionDep) -> UserRead:
    user = await service.create_user(session, actor=principal, tenant_id=principal.tenant, data=body)
    return UserRead.model_validate(user)


@router.get("/api/users/{user_id}", response_model=UserRead)
async def read_user(user_id: uuid.UUID, principal: Reader, session: SessionDep) -> UserRead:
    return UserRead.model_validate(await repo.get_user(session, principal.tenant, user_id))


@router.patch("/api/users/{user_id}", response_model=UserRead)
async def update_user(user_id: uuid.UUID, body: UserUpdate, principal: UserAdmin, session: SessionDep) -> UserRead:
    user = await repo.get_user(session, principal.tenant, user_id)
    return UserRead.model_validate(await service.update_user(session, actor=principal, user=user, data=body))


@router.post("/api/users/{user_id}/unlock", status_code=204)
async def unlock_user(user_id: uuid.UUID, principal: UserAdmin, session: SessionDep) -> Response:
    """Forget the user's failed sign-ins from every address, so a locked-out user can sign in again at once."""
    user = await repo.get_user(session, principal.tenant, user_id)
    await service.unlock_account(session, actor=principal, user=user)
    return Response(status_code=204)


@router.get("/api/groups", response_model=Page[GroupRead])
async def list_groups(
    principal: Reader,
    session: SessionDep,
    q: str | None = None,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[GroupRead]:
    rows, next_cursor = await repo.list_groups(session, principal.tenant, q=q, cursor=cursor, limit=limit)
    return Page(items=[GroupRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/api/groups", response_model=GroupRead, status_code=201)
async def create_group(body: GroupCreate, principal: GroupAdmin, session: SessionDep) -> GroupRead:
    return GroupRead.model_validate(await service.create_group(session, actor=principal, data=body))


@router.get("/api/groups/{group_id}", response_model=GroupRead)
async def read_group(group_id: uuid.UUID, principal: Reader, session: SessionDep) -> GroupRead:
    return GroupRead.model_validate(await repo.get_group(session, principal.tenant, group_id))


@router.patch("/api/groups/{group_id}", response_model=GroupRead)
async def update_group(group_id: uuid.UUID, body: GroupUpdate, principal: GroupAdmin, session: SessionDep) -> GroupRead:
    group = await repo.get_group(session, principal.tenant, group_id)
    return GroupRead.model_validate(await service.update_group(session, actor=principal, group=group, data=body))


@router.delete("/api/groups/{group_id}", status_code=204)
async def delete_group(group_id: uuid.UUID, principal: GroupAdmin, session: SessionDep) -> Response:
    group = await repo.get_group(session, principal.tenant, group_id)
    await service.delete_group(session, actor=principal, group=group)
    return Response(status_code=204)


@router.get("/api/groups/{group_id}/members", response_model=Page[UserRead])
async def list_members(
    group_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[UserRead]:
    await repo.get_group(session, principal.tenant, group_id)
    rows, next_cursor = await repo.list_users(
        session, principal.tenant, q=None, role=None, active=None, group_id=group_id, cursor=cursor, limit=limit
    )
    return Page(items=[UserRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/api/groups/{group_id}/members", status_code=204)
async def add_member(group_id: uuid.UUID, body: MemberAdd, principal: GroupAdmin, session: SessionDep) -> Response:
    group = await repo.get_group(session, principal.tenant, group_id)
    await service.add_member(session, actor=principal, group=group, user_id=body.user_id)
    return Response(status_code=204)


@router.delete("/api/groups/{group_id}/members/{user_id}", status_code=204)
async def remove_member(
    group_id: uuid.UUID, user_id: uuid.UUID, principal: GroupAdmin, session: SessionDep
) -> Response:
    group = await repo.get_group(session, principal.tenant, group_id)
    await service.remove_member(session, actor=principal, group=group, user_id=user_id)
    return Response(status_code=204)


@router.get("/api/tenant", response_model=TenantSettingsRead)
async def read_tenant_settings(principal: UserAdmin, session: SessionDep) -> TenantSettingsRead:
    return TenantSettingsRead.model_validate(await repo.get_tenant(session, principal.tenant))


@router.patch("/api/tenant", response_model=TenantSettingsRead)
async def update_tenant_settings(
    body: TenantSettingsUpdate, principal: UserAdmin, session: SessionDep
) -> TenantSettingsRead:
    """The tenant's own settings: its display name, the egress allow-list for webhooks and http actions, and the
    default approval definitions of normal and emergency changes (`change_definitions`; a type left out keeps its
    default, null clears it; each must be an active approval definition of this tenant, else 422 naming it)."""
    tenant = await tenant_settings.update_tenant_settings(session, actor=principal, data=body)
    return TenantSettingsRead.model_validate(tenant)


@router.get("/api/roles", response_model=Page[RoleRead])
async def list_roles(principal: Reader, session: SessionDep) -> Page[RoleRead]:
    """Built-in permission roles, then the free role labels in use in this tenant (e.g. `cab`)."""
    counts = await repo.role_counts(session, principal.tenant)
    built_in = [
        RoleRead(name=name, built_in=True, permissions=sorted(p.value for p in perms), user_count=counts.get(name, 0))
        for name, perms in BUILT_IN_ROLES.items()
    ]
    labels = [
        RoleRead(name=name, built_in=False, permissions=[], user_count=count)
        for name, count in sorted(counts.items())
        if name not in BUILT_IN_ROLES
    ]
    return Page(items=built_in + labels, next_cursor=None)


from tenantplane.identity.oidc.endpoints import router as _oidc_router  # noqa: E402  (single sign-on)

router.include_router(_oidc_router)
