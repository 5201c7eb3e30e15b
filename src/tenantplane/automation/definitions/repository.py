"""Automation queries, each starting from a tenant-scoped base statement.

Another tenant's workflow, version, run or gate is indistinguishable from a missing one (NotFound).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.automation.definitions.models import Workflow, WorkflowVersion
from tenantplane.kit.errors import NotFound
from tenantplane.kit.pagination import paginate


def workflows_of(tenant_id: uuid.UUID) -> Select[tuple[Workflow]]:
    return select(Workflow).where(Workflow.tenant_id == tenant_id)


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
