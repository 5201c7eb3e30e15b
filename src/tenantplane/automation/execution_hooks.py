"""A workflow's runbook step finishes when the runbook execution it started does, in the same transaction.

Registered for the `workflow_step` origin; `automation.runs.steps.runbook_finished` applies the result to the engine.
Cancelling and retrying a workflow execution (`POST /api/executions/{id}/cancel`, `/retry`) go through the engine,
registered here too.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.automation.runs.service import cancel_workflow_execution, retry_workflow_execution
from tenantplane.automation.runs.steps import runbook_finished
from tenantplane.executions.hooks import (
    KindRequest,
    on_cancel_requested,
    on_execution_finished,
    on_retry_requested,
)
from tenantplane.executions.models import WORKFLOW_STEP_ORIGIN, Execution


@on_execution_finished(WORKFLOW_STEP_ORIGIN)
async def workflow_runbook_step_finished(session: AsyncSession, execution: Execution) -> None:
    await runbook_finished(session, execution)


@on_cancel_requested("workflow")
async def cancel_workflow(session: AsyncSession, request: KindRequest) -> None:
    """A workflow execution is cancelled by its engine: its gates close, its steps and runbook runs stop."""
    request.result = await cancel_workflow_execution(session, actor=request.actor, execution=request.execution)


@on_retry_requested("workflow")
async def retry_workflow(session: AsyncSession, request: KindRequest) -> None:
    """A failed or rejected workflow execution runs again from its failed steps; succeeded steps keep their outputs."""
    request.result = await retry_workflow_execution(session, actor=request.actor, execution=request.execution)
