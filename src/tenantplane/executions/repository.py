"""Execution queries, each starting from a tenant-scoped base; readers see their own unless they may read all.

An execution the caller may not see is indistinguishable from a missing one (NotFound).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.executions.models import Execution, StepRun
from tenantplane.identity.auth import Principal
from tenantplane.identity.permissions import Permission
from tenantplane.kit.errors import NotFound
from tenantplane.kit.pagination import paginate


def executions_of(tenant_id: uuid.UUID) -> Select[tuple[Execution]]:
    return select(Execution).where(Execution.tenant_id == tenant_id)


def visible_to(principal: Principal) -> Select[tuple[Execution]]:
    stmt = executions_of(principal.tenant)
    if not principal.can(Permission.EXECUTIONS_READ_ALL):
        stmt = stmt.where(Execution.started_by == principal.id)
    return stmt


async def get_visible(session: AsyncSession, principal: Principal, execution_id: uuid.UUID) -> Execution:
    execution = await session.scalar(visible_to(principal).where(Execution.id == execution_id))
    if execution is None:
        raise NotFound(f"No execution {execution_id} in this tenant.")
    return execution


async def get_execution(
    session: AsyncSession, tenant_id: uuid.UUID, execution_id: uuid.UUID, *, for_update: bool = False
) -> Execution:
    stmt = executions_of(tenant_id).where(Execution.id == execution_id)
    execution = await session.scalar(stmt.with_for_update() if for_update else stmt)
    if execution is None:
        raise NotFound(f"No execution {execution_id} in this tenant.")
    return execution


async def list_visible(
    session: AsyncSession,
    principal: Principal,
    *,
    kind: str | None,
    status: str | None,
    runbook_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[Execution], str | None]:
    stmt = visible_to(principal)
    if kind:
        stmt = stmt.where(Execution.kind == kind)
    if status:
        stmt = stmt.where(Execution.status == status)
    if runbook_id:
        stmt = stmt.where(Execution.runbook_id == runbook_id)
    return await paginate(
        session, stmt, created_col=Execution.created_at, id_col=Execution.id, cursor=cursor, limit=limit
    )


async def steps_of(session: AsyncSession, execution: Execution) -> Sequence[StepRun]:
    stmt = (
        select(StepRun)
        .where(StepRun.tenant_id == execution.tenant_id, StepRun.execution_id == execution.id)
        .order_by(StepRun.position)
    )
    return (await session.scalars(stmt)).all()
