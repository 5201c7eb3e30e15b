"""A workflow's runbook step finishes when the runbook execution it started does, in the same transaction.

Registered for the `workflow_step` origin; `automation.steps.runbook_finished` applies the result to the engine.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.automation.steps import runbook_finished
from tenantplane.executions.hooks import on_execution_finished
from tenantplane.executions.models import WORKFLOW_STEP_ORIGIN, Execution


@on_execution_finished(WORKFLOW_STEP_ORIGIN)
async def workflow_runbook_step_finished(session: AsyncSession, execution: Execution) -> None:
    await runbook_finished(session, execution)
