"""What automation workflows use, answered for `kit.usage`: runbooks, through the runbook steps of a workflow.

Only the current version of a non-archived workflow counts: new executions run that one, while running executions
keep their pinned version whatever happens to the runbook.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.automation.definitions.models import Workflow, WorkflowVersion
from tenantplane.kit.usage import Use, answers


def _names_runbook(given: object, runbook_id: uuid.UUID) -> bool:
    try:
        return uuid.UUID(str(given)) == runbook_id  # saved as the client spelled it
    except ValueError:
        return False


@answers("runbook")
async def workflows_running_runbook(session: AsyncSession, tenant_id: uuid.UUID, runbook_id: str) -> list[Use]:
    stmt = (
        select(Workflow.id, Workflow.name, WorkflowVersion.definition)
        .join(
            WorkflowVersion,
            (WorkflowVersion.workflow_id == Workflow.id) & (WorkflowVersion.version == Workflow.version),
        )
        .where(
            Workflow.tenant_id == tenant_id,
            Workflow.archived_at.is_(None),
            WorkflowVersion.definition.contains({"steps": [{"type": "runbook"}]}),
        )
    )
    wanted = uuid.UUID(runbook_id)
    return [
        Use("workflow", str(workflow_id), name)
        for workflow_id, name, definition in (await session.execute(stmt)).tuples()
        if any(
            step.get("type") == "runbook" and _names_runbook(step.get("config", {}).get("runbook_id"), wanted)
            for step in definition.get("steps", [])
        )
    ]
