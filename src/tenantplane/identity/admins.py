"""The rule that a tenant keeps at least one active admin, whoever tries to remove the last one.

Every change that can take admin away locks the tenant's row first, so two concurrent demotions of the
last two admins are serialised: the second counts again after the first commits, and is refused.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.identity.models import Tenant, User
from tenantplane.kit.errors import Conflict

ADMIN = "admin"


class LastAdmin(Conflict):
    problem_type = "last-admin"
    title = "A tenant needs an active admin"


def is_active_admin(roles: list[str], active: bool) -> bool:
    return active and ADMIN in roles


async def _lock_admins(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    # FOR NO KEY UPDATE: serialises admin removals in this tenant without blocking inserts that reference it.
    await session.execute(select(Tenant.id).where(Tenant.id == tenant_id).with_for_update(key_share=True))


def _active_admins(tenant_id: uuid.UUID) -> ColumnElement[bool]:
    return and_(User.tenant_id == tenant_id, User.is_active.is_(True), User.roles.contains([ADMIN]))


async def refuse_removing_last_admin(session: AsyncSession, *, user: User, field: str) -> None:
    """Raise 409 when `user` is, right now (after the lock), the tenant's only active admin."""
    await _lock_admins(session, user.tenant_id)
    others, is_admin = (
        await session.execute(
            select(func.count().filter(User.id != user.id), func.bool_or(User.id == user.id)).where(
                _active_admins(user.tenant_id)
            )
        )
    ).one()
    if is_admin and not others:
        action = "be disabled" if field == "is_active" else "lose the admin role"
        message = f"{user.email} is the tenant's last active admin and cannot {action}; make another user admin first."
        raise LastAdmin(message, errors=[{"field": field, "message": "would leave the tenant without an active admin"}])


async def ensure_tenant_has_admin(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Raise 409 unless the tenant has an active admin once the pending changes are written (batch applies)."""
    await _lock_admins(session, tenant_id)
    count = await session.scalar(select(func.count()).where(_active_admins(tenant_id)))
    if not count:
        raise LastAdmin("These changes would leave the tenant without an active admin; keep or make one admin.")
