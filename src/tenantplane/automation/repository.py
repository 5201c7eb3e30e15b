"""Automation queries, each starting from a tenant-scoped base statement.

Another tenant's workflow, version, run or gate is indistinguishable from a missing one (NotFound).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.automation.models import ApprovalGate, AutomationRun, Workflow, WorkflowVersion
from tenantplane.executions.models import StepRun
from tenantplane.kit.errors import NotFound
from tenantplane.kit.pagination import paginate


def workflows_of(tenant_id: uuid.UUID) -> Select[tuple[Workflow]]:
    return select(Workflow).where(Workflow.tenant_id == tenant_id)


def gates_of(tenant_id: uuid.UUID) -> Select[tuple[ApprovalGate]]:
    return select(ApprovalGate).where(ApprovalGate.tenant_id == tenant_id)


async def get_workflow(
    session: AsyncSession, tenant_id: uuid.UUID, workflow_id: uuid.UUID, *, for_update: bool = False
) -> Workflow:
    stmt = workflows_of(tenant_id).where(Workflow.id == workflow_id)
    workflow = await session.scalar(stmt.with_for_update() if for_update else stmt)
    if workflow is None:
        raise NotFound(f"No workflow {workflow_id} in this tenant.")
    return workflow


async def get_version(
    session: AsyncSession, tenant_id: uuid.UUID, workflow_id: uuid.UUID, version: int
) -> WorkflowVersion:
    stmt = select(WorkflowVersion).where(
        WorkflowVersion.tenant_id == tenant_id,
        WorkflowVersion.workflow_id == workflow_id,
        WorkflowVersion.version == version,
    )
    found = await session.scalar(stmt)
    if found is None:
        raise NotFound(f"Workflow {workflow_id} has no version {version} in this tenant.")
    return found


async def list_workflows(
    session: AsyncSession, tenant_id: uuid.UUID, *, include_archived: bool, cursor: str | None, limit: int
) -> tuple[Sequence[Workflow], str | None]:
    stmt = workflows_of(tenant_id)
    if not include_archived:
        stmt = stmt.where(Workflow.archived_at.is_(None))
    return await paginate(
        session, stmt, created_col=Workflow.created_at, id_col=Workflow.id, cursor=cursor, limit=limit
    )


async def current_versions(session: AsyncSession, workflows: Sequence[Workflow]) -> dict[uuid.UUID, WorkflowVersion]:
    if not workflows:
        return {}
    keys = [(w.id, w.version) for w in workflows]
    stmt = select(WorkflowVersion).where(
        WorkflowVersion.tenant_id == workflows[0].tenant_id,
        WorkflowVersion.workflow_id.in_([k[0] for k in keys]),
    )
    rows = (await session.scalars(stmt)).all()
    return {row.workflow_id: row for row in rows if (row.workflow_id, row.version) in keys}


async def get_run(session: AsyncSession, tenant_id: uuid.UUID, execution_id: uuid.UUID) -> AutomationRun:
    run = await session.scalar(
        select(AutomationRun).where(AutomationRun.tenant_id == tenant_id, AutomationRun.execution_id == execution_id)
    )
    if run is None:
        raise NotFound(f"Execution {execution_id} is not a workflow execution of this tenant.")
    return run


async def step_runs(session: AsyncSession, tenant_id: uuid.UUID, execution_id: uuid.UUID) -> dict[str, StepRun]:
    stmt = select(StepRun).where(StepRun.tenant_id == tenant_id, StepRun.execution_id == execution_id)
    return {row.step_id or row.name: row for row in (await session.scalars(stmt)).all()}


async def get_step_run(session: AsyncSession, tenant_id: uuid.UUID, step_run_id: uuid.UUID) -> StepRun | None:
    found: StepRun | None = await session.scalar(
        select(StepRun).where(StepRun.tenant_id == tenant_id, StepRun.id == step_run_id)
    )
    return found


async def get_gate(
    session: AsyncSession, tenant_id: uuid.UUID, gate_id: uuid.UUID, *, for_update: bool = False
) -> ApprovalGate:
    stmt = gates_of(tenant_id).where(ApprovalGate.id == gate_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    gate = await session.scalar(stmt)
    if gate is None:
        raise NotFound(f"No automation approval {gate_id} in this tenant.")
    return gate
