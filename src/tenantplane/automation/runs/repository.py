"""Workflow-run queries, each starting from a tenant-scoped base statement.

Another tenant's run, step run or gate is indistinguishable from a missing one (NotFound).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.automation.runs.models import ApprovalGate, AutomationRun
from tenantplane.executions.models import StepRun
from tenantplane.kit.errors import NotFound


def gates_of(tenant_id: uuid.UUID) -> Select[tuple[ApprovalGate]]:
    return select(ApprovalGate).where(ApprovalGate.tenant_id == tenant_id)


async def get_run(session: AsyncSession, tenant_id: uuid.UUID, execution_id: uuid.UUID) -> AutomationRun:
    run = await session.scalar(
        select(AutomationRun).where(AutomationRun.tenant_id == tenant_id, AutomationRun.execution_id == execution_id)
    )
    if run is None:
        raise NotFound(f"Execution {execution_id} is not a workflow execution of this tenant.")
    return run


async def step_runs(
    session: AsyncSession, tenant_id: uuid.UUID, execution_id: uuid.UUID, *, only: Collection[str] | None = None
) -> dict[str, StepRun]:
    """The execution's step runs by step id (`only` those of these steps: none when it is empty)."""
    if only is not None and not only:
        return {}
    stmt = select(StepRun).where(StepRun.tenant_id == tenant_id, StepRun.execution_id == execution_id)
    if only is not None:
        stmt = stmt.where(StepRun.step_id.in_(sorted(set(only))))
    return {row.step_id or row.name: row for row in (await session.scalars(stmt)).all()}


async def get_step_run(session: AsyncSession, tenant_id: uuid.UUID, step_run_id: uuid.UUID) -> StepRun | None:
    """The step run (from the session when this transaction has it already, e.g. the one whose runbook it ran)."""
    found: StepRun | None = await session.get(StepRun, step_run_id)
    return found if found is not None and found.tenant_id == tenant_id else None


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
