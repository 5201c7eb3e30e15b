"""Execution queries, each starting from a tenant-scoped base; readers see their own unless they may read all.

An execution the caller may not see is indistinguishable from a missing one (NotFound).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, column, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.executions.models import WORKFLOW_STEP_ORIGIN, Execution, StepRun
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
    workflow_id: uuid.UUID | None,
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
    if workflow_id:
        stmt = stmt.where(Execution.workflow_id == workflow_id)
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


# Names live with the domains that own them; read here by table name so this module stays below them.
_RUNBOOKS = table("runbooks", column("id"), column("tenant_id"), column("name"))
_WORKFLOWS = table("workflows", column("id"), column("tenant_id"), column("name"))


async def names_of(session: AsyncSession, executions: Sequence[Execution]) -> dict[uuid.UUID, str]:
    """The names of the runbooks and workflows these executions ran, by id (two queries at most)."""
    names: dict[uuid.UUID, str] = {}
    if not executions:
        return names
    tenant_id = executions[0].tenant_id
    for named, ids in (
        (_RUNBOOKS, {e.runbook_id for e in executions if e.runbook_id}),
        (_WORKFLOWS, {e.workflow_id for e in executions if e.workflow_id}),
    ):
        if ids:
            stmt = select(named.c.id, named.c.name).where(named.c.tenant_id == tenant_id, named.c.id.in_(ids))
            names |= {row.id: row.name for row in await session.execute(stmt)}
    return names


async def step_executions(
    session: AsyncSession, tenant_id: uuid.UUID, step_run_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """The latest runbook execution each workflow step run started, by step run id."""
    if not step_run_ids:
        return {}
    stmt = (
        select(Execution.origin_id, Execution.id)
        .where(
            Execution.tenant_id == tenant_id,
            Execution.origin_type == WORKFLOW_STEP_ORIGIN,
            Execution.origin_id.in_(step_run_ids),
        )
        .order_by(Execution.created_at)
    )
    return {row.origin_id: row.id for row in await session.execute(stmt)}
