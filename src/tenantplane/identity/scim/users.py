"""SCIM users: list with a filter, create, replace, patch (through scim2-models' PatchOp), delete.

Changes go through `identity.service.update_user`, so deactivating a user bumps its token generation, ends its
sessions and runs the `user_deactivated` hooks, as an admin's change would.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from scim2_models import InvalidValueException, NotFoundException, UniquenessException
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.identity import service
from tenantplane.identity.auth import Principal
from tenantplane.identity.models import Group, GroupMembership, User
from tenantplane.identity.repository import users_of
from tenantplane.identity.schemas import UserCreate, UserUpdate
from tenantplane.identity.scim.filters import filter_clause
from tenantplane.identity.scim.resources import (
    UserFields,
    stored_attributes,
    user_fields,
    user_resource,
)

SCIM = "scim"
DELETED = "scim-deleted"  # a user the directory deleted: kept for history (approvals name it), invisible to SCIM


def _scim_users(tenant_id: uuid.UUID) -> Any:
    return users_of(tenant_id).where(User.managed_by.is_distinct_from(DELETED))


async def list_users(
    session: AsyncSession, tenant_id: uuid.UUID, expression: str | None, start: int, count: int
) -> tuple[int, Sequence[User]]:
    stmt = _scim_users(tenant_id)
    where = filter_clause(expression, groups=False)
    if where is not None:
        stmt = stmt.where(where)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = (await session.scalars(stmt.order_by(User.created_at, User.id).offset(start - 1).limit(count))).all()
    return total, rows


async def get_user(session: AsyncSession, tenant_id: uuid.UUID, user_id: str) -> User:
    try:
        found = uuid.UUID(user_id)
    except ValueError:
        found = None
    user: User | None = await session.scalar(_scim_users(tenant_id).where(User.id == found)) if found else None
    if user is None:
        raise NotFoundException(detail=f"No user {user_id}.")
    return user


async def groups_of_user(session: AsyncSession, user: User) -> Sequence[Group]:
    stmt = (
        select(Group)
        .join(GroupMembership, GroupMembership.group_id == Group.id)
        .where(GroupMembership.tenant_id == user.tenant_id, GroupMembership.user_id == user.id)
        .order_by(Group.name)
    )
    return (await session.scalars(stmt)).all()


async def as_resource(session: AsyncSession, user: User) -> Any:
    return user_resource(user, await groups_of_user(session, user))


async def _check(session: AsyncSession, tenant_id: uuid.UUID, fields: UserFields, user_id: uuid.UUID | None) -> None:
    """Uniqueness of userName and externalId, and a manager of this tenant, before anything is written."""
    others = users_of(tenant_id).where(User.id.is_distinct_from(user_id))
    name = (fields.user_name or fields.email).lower()
    if await session.scalar(others.where(func.lower(func.coalesce(User.user_name, User.email)) == name)) is not None:
        raise UniquenessException(detail=f"userName '{fields.user_name or fields.email}' is taken in this tenant")
    if await session.scalar(others.where(func.lower(User.email) == fields.email)) is not None:
        raise UniquenessException(detail=f"the e-mail address '{fields.email}' is taken in this tenant")
    if fields.external_id and await session.scalar(others.where(User.external_id == fields.external_id)):
        raise UniquenessException(detail=f"externalId '{fields.external_id}' is taken in this tenant")
    if fields.manager_id is not None:
        if fields.manager_id == user_id:
            raise InvalidValueException(detail="manager.value: a user cannot be their own manager")
        if await session.scalar(_scim_users(tenant_id).where(User.id == fields.manager_id)) is None:
            raise InvalidValueException(detail=f"manager.value: no user {fields.manager_id}")


async def create_user(session: AsyncSession, *, actor: Principal, resource: Any) -> User:
    fields = user_fields(resource)
    await _check(session, actor.tenant, fields, None)
    data = UserCreate(
        email=fields.email, display_name=fields.display_name, manager_id=fields.manager_id, is_active=fields.is_active
    )
    user = await service.create_user(session, actor=actor, tenant_id=actor.tenant, data=data)
    user.external_id = fields.external_id
    user.user_name = fields.user_name
    user.scim_attributes = stored_attributes(resource)
    user.managed_by = SCIM
    await session.flush()
    return user


async def write_user(session: AsyncSession, *, actor: Principal, user: User, resource: Any) -> User:
    """Make the row what the (replaced or patched) resource says."""
    fields = user_fields(resource)
    await _check(session, user.tenant_id, fields, user.id)
    direct = {
        name: value
        for name, value in (
            ("email", fields.email),
            ("user_name", fields.user_name),
            ("external_id", fields.external_id),
            ("managed_by", SCIM),
        )
        if getattr(user, name) != value
    }
    for name, value in direct.items():
        setattr(user, name, value)
    user.scim_attributes = stored_attributes(resource)
    changes: dict[str, Any] = {
        name: value
        for name, value in (
            ("display_name", fields.display_name),
            ("manager_id", fields.manager_id),
            ("is_active", fields.is_active),
        )
        if getattr(user, name) != value
    }
    if changes:
        await service.update_user(session, actor=actor, user=user, data=UserUpdate(**changes))
    if direct:
        await session.flush()
        await record_event(
            session, actor=actor, action="user.updated", object_type="user", object_id=user.id, summary=direct
        )
    return user


async def delete_user(session: AsyncSession, *, actor: Principal, user: User) -> None:
    """Deactivate (tokens, sessions and pending approvals go) and hide from SCIM; the row stays for history."""
    if user.is_active:
        await service.update_user(session, actor=actor, user=user, data=UserUpdate(is_active=False))
    user.managed_by = DELETED
    user.external_id = None
    await session.flush()
    await record_event(session, actor=actor, action="user.deleted_by_directory", object_type="user", object_id=user.id)
