"""Approver resolution against the tenant's directory: who a step's approver_type/value means right now.

The engine never looks anything up; the shell passes it these sets (see the engine's module docstring).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Executable,
    Select,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.identity.auth import Principal
from tenantplane.identity.models import GroupMembership, User
from tenantplane.identity.repository import users_of


def active_delegation() -> ColumnElement[bool]:
    """A user's delegation is in force: a delegate is set and its end date (if any) is still ahead."""
    return User.delegate_id.is_not(None) & or_(User.delegate_until.is_(None), User.delegate_until > func.now())


async def delegators_of(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> frozenset[str]:
    """Ids of the users this user currently stands in for."""
    stmt = users_of(tenant_id).with_only_columns(User.id).where(User.delegate_id == user_id, active_delegation())
    return frozenset(str(found) for found in (await session.scalars(stmt)).all())


async def delegators_seen_by(session: AsyncSession, actor: Principal) -> frozenset[str]:
    """`delegators_of` the caller, for what they may read: the principal lookup read it with the caller (a request),
    so no statement; else (a principal built otherwise) queried. A decision asks `delegators_of` in its transaction."""
    known = getattr(actor.user, "stands_in_for", None)
    if known is not None and actor.tenant_id is not None:
        return frozenset(str(found) for found in known)
    return await delegators_of(session, actor.tenant, actor.id)


async def delegates_of(session: AsyncSession, tenant_id: uuid.UUID, user_ids: Iterable[str]) -> frozenset[str]:
    """Ids of the active delegates of these users (they are told about decisions awaiting them too)."""
    ids = [uuid.UUID(u) for u in user_ids]
    if not ids:
        return frozenset()
    stmt = users_of(tenant_id).with_only_columns(User.delegate_id).where(User.id.in_(ids), active_delegation())
    return frozenset(str(found) for found in (await session.scalars(stmt)).all() if found is not None)


async def tenant_admins(session: AsyncSession, tenant_id: uuid.UUID) -> frozenset[str]:
    stmt = _active(tenant_id).where(User.roles.contains(["admin"]))
    return frozenset(str(found) for found in (await session.scalars(stmt)).all())


def _active(tenant_id: TenantId) -> Select[tuple[uuid.UUID]]:
    return users_of(cast(uuid.UUID, tenant_id)).with_only_columns(User.id).where(User.is_active.is_(True))


TenantId = uuid.UUID | BindParameter[uuid.UUID]
_TENANT: BindParameter[uuid.UUID] = bindparam("approvers_tenant_id")
_MANAGER_OF: BindParameter[uuid.UUID] = bindparam("approvers_manager_of")


def _approvers_stmt(
    tenant_id: TenantId, step: Mapping[str, Any], manager_of: uuid.UUID | BindParameter[uuid.UUID]
) -> Select[tuple[uuid.UUID]]:
    kind, value = step["approver_type"], step.get("approver_value")
    stmt = _active(tenant_id)
    if kind == "user":
        return stmt.where(User.id == uuid.UUID(value))
    if kind == "group":
        members = select(GroupMembership.user_id).where(
            GroupMembership.tenant_id == tenant_id, GroupMembership.group_id == uuid.UUID(value)
        )
        return stmt.where(User.id.in_(members))
    if kind == "role":
        return stmt.where(User.roles.contains([value]))
    if kind == "manager":
        manager = users_of(cast(uuid.UUID, tenant_id)).with_only_columns(User.manager_id).where(User.id == manager_of)
        return stmt.where(User.id == manager.scalar_subquery())
    if kind == "any":
        return stmt
    raise ValueError(f"unknown approver_type {kind!r}")


@lru_cache(maxsize=1024)
def _approvers_union(targets: tuple[tuple[str, str | None], ...]) -> Executable:
    """One UNION ALL branch per target (approver_type, approver_value), tagged with its position, each row with the
    approver's active delegate; built once per shape, the tenant and whose manager bound at execution."""
    branches = []
    for index, (kind, value) in enumerate(targets):
        delegate = case((active_delegation(), User.delegate_id), else_=None)
        step = {"approver_type": kind, "approver_value": value}
        branches.append(_approvers_stmt(_TENANT, step, _MANAGER_OF).add_columns(literal_column(str(index)), delegate))
    return branches[0] if len(branches) == 1 else union_all(*branches)


async def resolve_approvers(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    steps: Sequence[Mapping[str, Any]],
    names: Iterable[str],
    manager_of: uuid.UUID,
) -> dict[str, frozenset[str]]:
    """Step name → ids of the active users it names now, for the named steps (one query for all of them).

    `manager_of`: whose manager a `manager` step means, the person the request is for (see `manager_subject`).
    """
    resolved, _ = await resolve_with_delegates(session, tenant_id, steps, names, manager_of)
    return resolved


async def resolve_with_delegates(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    steps: Sequence[Mapping[str, Any]],
    names: Iterable[str],
    manager_of: uuid.UUID,
) -> tuple[dict[str, frozenset[str]], dict[str, str]]:
    """`resolve_approvers`, and the active delegate of every approver found (approver id → delegate id), from
    the same query: one UNION ALL branch per distinct target, tagged with its position."""
    wanted = set(names)
    targets: dict[tuple[str, str | None], int] = {}
    step_target: dict[str, int] = {}
    for step in steps:
        if step["name"] in wanted:
            target = (step["approver_type"], step.get("approver_value"))
            step_target[step["name"]] = targets.setdefault(target, len(targets))
    if not targets:
        return {}, {}
    stmt = _approvers_union(tuple(targets))
    found: list[set[str]] = [set() for _ in targets]
    delegates: dict[str, str] = {}
    rows = await session.execute(stmt, {_TENANT.key: tenant_id, _MANAGER_OF.key: manager_of})
    for user_id, index, delegate_id in rows.tuples():
        found[index].add(str(user_id))
        if delegate_id is not None:
            delegates[str(user_id)] = str(delegate_id)
    return {name: frozenset(found[index]) for name, index in step_target.items()}, delegates


def manager_subject(requester_id: uuid.UUID, requested_for_id: uuid.UUID | None) -> uuid.UUID:
    """Whose manager approves: the manager of the person the request is for, not the submitter's (a request for
    someone else is signed off in the beneficiary's line; the submitter's manager is not asked as well)."""
    return requested_for_id or requester_id


async def users_by_id(session: AsyncSession, tenant_id: uuid.UUID, user_ids: Iterable[str]) -> dict[str, User]:
    ids = {uuid.UUID(u) for u in user_ids}
    if not ids:
        return {}
    rows = (await session.scalars(users_of(tenant_id).where(User.id.in_(ids)))).all()
    return {str(user.id): user for user in rows}
