"""Whom an escalation hands an ITSM step or an automation gate to: `escalate_to` is `manager` (the managers of the
approvers still awaited), `group:<name or id>` (stored as `group:<id>`) or `fallback` (the tenant's fallback group).

Whoever four-eyes keeps out never counts; when nobody is left, the fallback group (or the admins) is asked instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.engine import GROUP_TARGET
from tenantplane.approvals.fallback import active_members, fallback_approvers
from tenantplane.identity.models import Group, User
from tenantplane.identity.repository import groups_of, users_of


async def escalation_group(
    session: AsyncSession, tenant_id: uuid.UUID, escalate_to: str
) -> tuple[uuid.UUID, str] | None:
    """The group (id, name) a `group:<name or id>` target names in this tenant, or None."""
    reference = escalate_to.removeprefix(GROUP_TARGET).strip()
    try:
        match = Group.id == uuid.UUID(reference)
    except ValueError:
        match = Group.name == reference
    row = (await session.execute(groups_of(tenant_id).with_only_columns(Group.id, Group.name).where(match))).first()
    return None if row is None else (row[0], row[1])


async def stored_escalate_to(session: AsyncSession, tenant_id: uuid.UUID, escalate_to: str) -> str | None:
    """How a valid target is stored (a group by its id, so renaming it changes nothing); None: no such group."""
    if not escalate_to.startswith(GROUP_TARGET):
        return escalate_to
    group = await escalation_group(session, tenant_id, escalate_to)
    return None if group is None else f"{GROUP_TARGET}{group[0]}"


async def managers_of(session: AsyncSession, tenant_id: uuid.UUID, user_ids: Iterable[str]) -> frozenset[str]:
    """The active managers of these users, deduplicated."""
    ids = [uuid.UUID(u) for u in user_ids]
    if not ids:
        return frozenset()
    managers = users_of(tenant_id).with_only_columns(User.manager_id).where(User.id.in_(ids))
    stmt = users_of(tenant_id).with_only_columns(User.id).where(User.is_active.is_(True), User.id.in_(managers))
    return frozenset(str(u) for u in (await session.scalars(stmt)).all())


async def escalation_targets(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    escalate_to: str,
    *,
    awaited: frozenset[str],
    excluded: frozenset[str],
) -> tuple[frozenset[str], str]:
    """Who the escalation goes to (never anyone in `excluded`) and how to say so ("the approvers' managers").

    `awaited`: the approvers who have not decided yet (whose managers `manager` means)."""
    found: frozenset[str] = frozenset()
    label = missing = ""
    if escalate_to == "manager":
        found, label = await managers_of(session, tenant_id, awaited) - excluded, "the approvers' managers"
        missing = "no approver has a manager who may decide"
    elif escalate_to.startswith(GROUP_TARGET):
        group = await escalation_group(session, tenant_id, escalate_to)
        if group is not None:
            found = await active_members(session, tenant_id, group[0]) - excluded
        label = f"group {group[1] if group else escalate_to.removeprefix(GROUP_TARGET)}"
        missing = f"{label} has nobody who may decide" if group else f"{label} no longer exists"
    if found:
        return found, label
    fallback, who = await fallback_approvers(session, tenant_id)
    if escalate_to == "fallback":
        return fallback - excluded, f"the {who}"
    return fallback - excluded, f"the {who} ({missing})"
