"""SCIM groups: list with a filter, create, replace, patch (members through scim2-models' PatchOp), delete.

Memberships are rows of `group_memberships`; every change writes one `group.*` audit event naming what changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from scim2_models import InvalidValueException, NotFoundException, UniquenessException
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.identity.auth import Principal
from tenantplane.identity.models import Group, GroupMembership, User
from tenantplane.identity.repository import groups_of, users_of
from tenantplane.identity.scim.filters import filter_clause
from tenantplane.identity.scim.resources import group_resource, member_ids

SCIM = "scim"


async def list_groups(
    session: AsyncSession, tenant_id: uuid.UUID, expression: str | None, start: int, count: int
) -> tuple[int, Sequence[Group]]:
    stmt = groups_of(tenant_id)
    where = filter_clause(expression, groups=True)
    if where is not None:
        stmt = stmt.where(where)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = (await session.scalars(stmt.order_by(Group.created_at, Group.id).offset(start - 1).limit(count))).all()
    return total, rows


async def get_group(session: AsyncSession, tenant_id: uuid.UUID, group_id: str) -> Group:
    try:
        found = uuid.UUID(group_id)
    except ValueError:
        found = None
    group: Group | None = await session.scalar(groups_of(tenant_id).where(Group.id == found)) if found else None
    if group is None:
        raise NotFoundException(detail=f"No group {group_id}.")
    return group


async def members_of(session: AsyncSession, group: Group) -> Sequence[User]:
    members = select(GroupMembership.user_id).where(
        GroupMembership.tenant_id == group.tenant_id, GroupMembership.group_id == group.id
    )
    stmt = users_of(group.tenant_id).where(User.id.in_(members)).order_by(User.created_at, User.id)
    return (await session.scalars(stmt)).all()


async def as_resource(session: AsyncSession, group: Group, *, with_members: bool = True) -> Any:
    return group_resource(group, await members_of(session, group) if with_members else ())


async def _check(
    session: AsyncSession, tenant_id: uuid.UUID, resource: Any, group_id: uuid.UUID | None
) -> set[uuid.UUID]:
    name = (resource.display_name or "").strip()
    if not name or len(name) > 200:
        raise InvalidValueException(detail="displayName: 1 to 200 characters")
    others = groups_of(tenant_id).where(Group.id.is_distinct_from(group_id))
    if await session.scalar(others.where(Group.name == name)) is not None:
        raise UniquenessException(detail=f"displayName '{name}' is taken in this tenant")
    if resource.external_id and await session.scalar(others.where(Group.external_id == resource.external_id)):
        raise UniquenessException(detail=f"externalId '{resource.external_id}' is taken in this tenant")
    wanted = member_ids(resource)
    if wanted:
        known = set(
            (await session.scalars(users_of(tenant_id).with_only_columns(User.id).where(User.id.in_(wanted)))).all()
        )
        if unknown := wanted - known:
            raise InvalidValueException(detail=f"members: no user {sorted(map(str, unknown))[0]} in this tenant")
    return wanted


async def _set_members(session: AsyncSession, group: Group, wanted: set[uuid.UUID]) -> dict[str, list[str]]:
    current = set(
        (
            await session.scalars(
                select(GroupMembership.user_id).where(
                    GroupMembership.tenant_id == group.tenant_id, GroupMembership.group_id == group.id
                )
            )
        ).all()
    )
    added, removed = wanted - current, current - wanted
    if removed:
        await session.execute(
            delete(GroupMembership).where(
                GroupMembership.tenant_id == group.tenant_id,
                GroupMembership.group_id == group.id,
                GroupMembership.user_id.in_(removed),
            )
        )
    session.add_all(GroupMembership(group_id=group.id, user_id=u, tenant_id=group.tenant_id) for u in added)
    await session.flush()
    return {k: sorted(map(str, v)) for k, v in (("members_added", added), ("members_removed", removed)) if v}


async def create_group(session: AsyncSession, *, actor: Principal, resource: Any) -> Group:
    wanted = await _check(session, actor.tenant, resource, None)
    group = Group(
        tenant_id=actor.tenant, name=resource.display_name.strip(), external_id=resource.external_id, managed_by=SCIM
    )
    session.add(group)
    await session.flush()
    members = await _set_members(session, group, wanted)
    await record_event(
        session,
        actor=actor,
        action="group.created",
        object_type="group",
        object_id=group.id,
        summary={"name": group.name, "external_id": group.external_id, **members},
    )
    return group


async def write_group(session: AsyncSession, *, actor: Principal, group: Group, resource: Any) -> Group:
    wanted = await _check(session, group.tenant_id, resource, group.id)
    changes = {
        name: value
        for name, value in (
            ("name", resource.display_name.strip()),
            ("external_id", resource.external_id),
            ("managed_by", SCIM),
        )
        if getattr(group, name) != value
    }
    for name, value in changes.items():
        setattr(group, name, value)
    changes.update(await _set_members(session, group, wanted))
    await session.flush()
    await record_event(
        session, actor=actor, action="group.updated", object_type="group", object_id=group.id, summary=changes
    )
    return group


async def delete_group(session: AsyncSession, *, actor: Principal, group: Group) -> None:
    await session.delete(group)
    await session.flush()
    await record_event(
        session,
        actor=actor,
        action="group.deleted",
        object_type="group",
        object_id=group.id,
        summary={"name": group.name},
    )
