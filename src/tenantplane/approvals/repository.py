"""All approval queries, each starting from a tenant-scoped base statement.

Another tenant's definition or instance is indistinguishable from a missing one (NotFound).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, delete, select, tuple_, union
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.models import (
    ApprovalAssignment,
    ApprovalDefinition,
    ApprovalDefinitionVersion,
    ApprovalEvent,
    ApprovalInstance,
)
from tenantplane.identity.repository import contains
from tenantplane.kit.errors import NotFound
from tenantplane.kit.pagination import paginate

_INSERT_BATCH = 5000


def definitions_of(tenant_id: uuid.UUID) -> Select[tuple[ApprovalDefinition]]:
    return select(ApprovalDefinition).where(ApprovalDefinition.tenant_id == tenant_id)


def versions_of(tenant_id: uuid.UUID) -> Select[tuple[ApprovalDefinitionVersion]]:
    return select(ApprovalDefinitionVersion).where(ApprovalDefinitionVersion.tenant_id == tenant_id)


def instances_of(tenant_id: uuid.UUID) -> Select[tuple[ApprovalInstance]]:
    return select(ApprovalInstance).where(ApprovalInstance.tenant_id == tenant_id)


async def find_definition(
    session: AsyncSession, tenant_id: uuid.UUID, definition_id: uuid.UUID
) -> ApprovalDefinition | None:
    found: ApprovalDefinition | None = await session.scalar(
        definitions_of(tenant_id).where(ApprovalDefinition.id == definition_id)
    )
    return found


async def get_definition(
    session: AsyncSession, tenant_id: uuid.UUID, definition_id: uuid.UUID, *, lock: bool = False
) -> ApprovalDefinition:
    stmt = definitions_of(tenant_id).where(ApprovalDefinition.id == definition_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    definition = await session.scalar(stmt)
    if definition is None:
        raise NotFound(f"No approval definition {definition_id} in this tenant.")
    return definition


async def get_version(
    session: AsyncSession, tenant_id: uuid.UUID, definition_id: uuid.UUID, version: int
) -> ApprovalDefinitionVersion:
    found = await session.scalar(
        versions_of(tenant_id).where(
            ApprovalDefinitionVersion.definition_id == definition_id, ApprovalDefinitionVersion.version == version
        )
    )
    if found is None:
        raise NotFound(f"Approval definition {definition_id} has no version {version}.")
    return found


async def versions_by_key(
    session: AsyncSession, tenant_id: uuid.UUID, keys: Iterable[tuple[uuid.UUID, int]]
) -> dict[tuple[uuid.UUID, int], ApprovalDefinitionVersion]:
    """The versions named by (definition id, version) pairs, in one query."""
    wanted = set(keys)
    if not wanted:
        return {}
    pair = tuple_(ApprovalDefinitionVersion.definition_id, ApprovalDefinitionVersion.version)
    rows = (await session.scalars(versions_of(tenant_id).where(pair.in_(list(wanted))))).all()
    return {(row.definition_id, row.version): row for row in rows}


async def list_definitions(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    status: str | None,
    q: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[ApprovalDefinition], str | None]:
    stmt = definitions_of(tenant_id)
    if status == "active":
        stmt = stmt.where(ApprovalDefinition.archived_at.is_(None))
    elif status == "archived":
        stmt = stmt.where(ApprovalDefinition.archived_at.is_not(None))
    if q:
        stmt = stmt.where(ApprovalDefinition.name.ilike(contains(q)))
    return await paginate(
        session,
        stmt,
        created_col=ApprovalDefinition.created_at,
        id_col=ApprovalDefinition.id,
        cursor=cursor,
        limit=limit,
    )


async def get_instance(
    session: AsyncSession, tenant_id: uuid.UUID, instance_id: uuid.UUID, *, lock: bool = False
) -> ApprovalInstance:
    """One instance; with `lock`, its row is locked (FOR UPDATE) until the transaction ends and re-read fresh."""
    stmt = instances_of(tenant_id).where(ApprovalInstance.id == instance_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    instance = await session.scalar(stmt)
    if instance is None:
        raise NotFound(f"No approval instance {instance_id} in this tenant.")
    return instance


@dataclass(frozen=True)
class InstanceFilter:
    status: str | None = None
    record_type: str | None = None
    record_id: uuid.UUID | None = None
    definition_id: uuid.UUID | None = None
    requester_id: uuid.UUID | None = None
    approver_ids: frozenset[uuid.UUID] | None = None
    """Instances where one of these users may decide an open step now (the inbox)."""
    visible_to: frozenset[uuid.UUID] | None = None
    """Only instances these users requested or may decide now (callers who may not read every instance)."""


def _assigned_to(tenant_id: uuid.UUID, user_ids: frozenset[uuid.UUID]) -> Select[tuple[uuid.UUID]]:
    return select(ApprovalAssignment.instance_id).where(
        ApprovalAssignment.tenant_id == tenant_id, ApprovalAssignment.user_id.in_(user_ids)
    )


async def list_instances(
    session: AsyncSession, tenant_id: uuid.UUID, where: InstanceFilter, *, cursor: str | None, limit: int
) -> tuple[Sequence[ApprovalInstance], str | None]:
    stmt = instances_of(tenant_id)
    for column, value in (
        (ApprovalInstance.status, where.status),
        (ApprovalInstance.record_type, where.record_type),
        (ApprovalInstance.record_id, where.record_id),
        (ApprovalInstance.definition_id, where.definition_id),
        (ApprovalInstance.requester_id, where.requester_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if where.approver_ids is not None:
        stmt = stmt.where(ApprovalInstance.id.in_(_assigned_to(tenant_id, where.approver_ids)))
    if where.visible_to is not None:
        # A union of two index lookups, not an OR: the OR would walk the tenant's whole history.
        requested = instances_of(tenant_id).with_only_columns(ApprovalInstance.id)
        requested = requested.where(ApprovalInstance.requester_id.in_(where.visible_to))
        stmt = stmt.where(ApprovalInstance.id.in_(union(requested, _assigned_to(tenant_id, where.visible_to))))
    return await paginate(
        session, stmt, created_col=ApprovalInstance.created_at, id_col=ApprovalInstance.id, cursor=cursor, limit=limit
    )


async def rewrite_assignments(
    session: AsyncSession, instance: ApprovalInstance, wanted: set[tuple[str, uuid.UUID]]
) -> None:
    """Make the instance's assignment rows exactly `wanted` (step name, user id), touching only the difference."""
    rows = await session.execute(
        select(ApprovalAssignment.step_name, ApprovalAssignment.user_id).where(
            ApprovalAssignment.instance_id == instance.id
        )
    )
    current = {(step, user) for step, user in rows.tuples()}
    stale = current - wanted
    if stale:
        pair = tuple_(ApprovalAssignment.step_name, ApprovalAssignment.user_id)
        await session.execute(
            delete(ApprovalAssignment).where(ApprovalAssignment.instance_id == instance.id, pair.in_(list(stale)))
        )
    values = [
        {"instance_id": instance.id, "step_name": step, "user_id": user, "tenant_id": instance.tenant_id}
        for step, user in sorted(wanted - current)
    ]
    for start in range(0, len(values), _INSERT_BATCH):  # `any` steps of big tenants: stay under the bind limit
        batch = values[start : start + _INSERT_BATCH]
        await session.execute(insert(ApprovalAssignment).values(batch).on_conflict_do_nothing())


async def list_events(
    session: AsyncSession, tenant_id: uuid.UUID, instance_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[Sequence[ApprovalEvent], str | None]:
    """An instance's timeline, newest first (like every list of this API)."""
    stmt = select(ApprovalEvent).where(ApprovalEvent.tenant_id == tenant_id, ApprovalEvent.instance_id == instance_id)
    return await paginate(
        session, stmt, created_col=ApprovalEvent.created_at, id_col=ApprovalEvent.id, cursor=cursor, limit=limit
    )
