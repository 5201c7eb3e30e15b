"""All identity queries, each starting from a tenant-scoped base statement.

A row of another tenant is indistinguishable from a missing one (NotFound).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.identity.models import ApiToken, Group, GroupMembership, Tenant, User
from tenantplane.kit.errors import NotFound
from tenantplane.kit.pagination import paginate


def contains(text: str) -> str:
    """An ILIKE pattern matching `text` anywhere, with the wildcards in it taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def users_of(tenant_id: uuid.UUID) -> Select[tuple[User]]:
    return select(User).where(User.tenant_id == tenant_id)


def groups_of(tenant_id: uuid.UUID) -> Select[tuple[Group]]:
    return select(Group).where(Group.tenant_id == tenant_id)


async def get_user(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User:
    user = await session.scalar(users_of(tenant_id).where(User.id == user_id))
    if user is None:
        raise NotFound(f"No user {user_id} in this tenant.")
    return user


async def find_user_by_email(session: AsyncSession, tenant_id: uuid.UUID, email: str) -> User | None:
    user: User | None = await session.scalar(users_of(tenant_id).where(User.email == email.lower()))
    return user


async def get_group(session: AsyncSession, tenant_id: uuid.UUID, group_id: uuid.UUID) -> Group:
    group = await session.scalar(groups_of(tenant_id).where(Group.id == group_id))
    if group is None:
        raise NotFound(f"No group {group_id} in this tenant.")
    return group


async def find_tenant(session: AsyncSession, slug: str) -> Tenant | None:
    tenant: Tenant | None = await session.scalar(select(Tenant).where(Tenant.slug == slug))
    return tenant


async def get_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound(f"No tenant {tenant_id}.")
    return tenant


async def list_users(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    q: str | None,
    role: str | None,
    active: bool | None,
    group_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[User], str | None]:
    stmt = users_of(tenant_id)
    if q:
        pattern = contains(q)
        stmt = stmt.where(User.email.ilike(pattern) | User.display_name.ilike(pattern))
    if role:
        stmt = stmt.where(User.roles.contains([role]))
    if active is not None:
        stmt = stmt.where(User.is_active.is_(active))
    if group_id:
        stmt = stmt.where(
            User.id.in_(
                select(GroupMembership.user_id).where(
                    GroupMembership.group_id == group_id, GroupMembership.tenant_id == tenant_id
                )
            )
        )
    return await paginate(session, stmt, created_col=User.created_at, id_col=User.id, cursor=cursor, limit=limit)


async def list_groups(
    session: AsyncSession, tenant_id: uuid.UUID, *, q: str | None, cursor: str | None, limit: int
) -> tuple[Sequence[Group], str | None]:
    stmt = groups_of(tenant_id)
    if q:
        stmt = stmt.where(Group.name.ilike(contains(q)))
    return await paginate(session, stmt, created_col=Group.created_at, id_col=Group.id, cursor=cursor, limit=limit)


async def membership(
    session: AsyncSession, tenant_id: uuid.UUID, group_id: uuid.UUID, user_id: uuid.UUID
) -> GroupMembership | None:
    found: GroupMembership | None = await session.scalar(
        select(GroupMembership).where(
            GroupMembership.tenant_id == tenant_id,
            GroupMembership.group_id == group_id,
            GroupMembership.user_id == user_id,
        )
    )
    return found


async def role_counts(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, int]:
    role = func.unnest(User.roles).label("role")
    sub = users_of(tenant_id).with_only_columns(role).subquery()
    rows = await session.execute(select(sub.c.role, func.count()).group_by(sub.c.role))
    return {name: count for name, count in rows.tuples()}


def api_tokens_of(tenant_id: uuid.UUID, user_id: uuid.UUID) -> Select[tuple[ApiToken]]:
    return select(ApiToken).where(ApiToken.tenant_id == tenant_id, ApiToken.user_id == user_id)


async def get_api_token(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, token_id: uuid.UUID
) -> ApiToken:
    token = await session.scalar(api_tokens_of(tenant_id, user_id).where(ApiToken.id == token_id))
    if token is None:
        raise NotFound(f"No API token {token_id} of yours.")
    return token
