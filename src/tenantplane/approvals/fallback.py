"""Who takes over what a leaver alone could decide, or what an escalation finds nobody else for: the tenant's
fallback group, or else its admins.

Used by approvals and automation gates when a user is deactivated (`identity.hooks.on_user_deactivated`) and by
escalations (`escalation_targets.py`).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.approvers import tenant_admins
from tenantplane.identity.models import GroupMembership, Tenant, User
from tenantplane.identity.repository import users_of


async def active_members(session: AsyncSession, tenant_id: uuid.UUID, group_id: uuid.UUID) -> frozenset[str]:
    """Ids of the group's active members."""
    members = select(GroupMembership.user_id).where(
        GroupMembership.tenant_id == tenant_id, GroupMembership.group_id == group_id
    )
    stmt = users_of(tenant_id).with_only_columns(User.id).where(User.is_active.is_(True), User.id.in_(members))
    return frozenset(str(u) for u in (await session.scalars(stmt)).all())


async def fallback_approvers(
    session: AsyncSession, tenant_id: uuid.UUID, leaver: uuid.UUID | None = None
) -> tuple[frozenset[str], str]:
    """The active users (never the leaver) a step goes to, and what they are ('fallback group' or 'admins')."""
    left = frozenset({str(leaver)}) if leaver is not None else frozenset()
    group_id = await session.scalar(select(Tenant.fallback_group_id).where(Tenant.id == tenant_id))
    if group_id is not None:
        found = await active_members(session, tenant_id, group_id) - left
        if found:
            return found, "fallback group"
    return await tenant_admins(session, tenant_id) - left, "admins"
