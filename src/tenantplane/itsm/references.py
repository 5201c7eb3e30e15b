"""Checks of what a catalog item or change points at: approval definitions, runbooks, automation workflows.

The two workflow id spaces must never be confused: a `workflow_definition_id` must be an ITSM approval
definition of this tenant, and the refusal says what was given and what to use instead.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.models import ApprovalDefinition
from tenantplane.automation.definitions.models import Workflow
from tenantplane.runbooks.models import Runbook

USE_INSTEAD = (
    "workflow_definition_id takes an ITSM approval definition (from /api/workflows/definitions); to run an "
    "automation workflow after approval, set fulfillment_type: workflow and fulfillment_config.workflow_id"
)


async def approval_definition_problem(session: AsyncSession, tenant_id: uuid.UUID, given: uuid.UUID) -> str | None:
    """None when `given` is an active approval definition of this tenant, else what is wrong and what to do."""
    definition = await session.scalar(
        select(ApprovalDefinition).where(ApprovalDefinition.tenant_id == tenant_id, ApprovalDefinition.id == given)
    )
    if definition is not None:
        return f"approval definition '{definition.name}' is archived" if definition.archived_at else None
    if await _is_automation_workflow(session, tenant_id, given):
        return f"{given} is an automation workflow, not an approval definition: {USE_INSTEAD}"
    return f"{given} is not an approval definition of this tenant: {USE_INSTEAD}"


async def _is_automation_workflow(session: AsyncSession, tenant_id: uuid.UUID, given: uuid.UUID) -> bool:
    found = await session.scalar(
        select(Workflow.id).where(Workflow.tenant_id == tenant_id, Workflow.id == given, Workflow.archived_at.is_(None))
    )
    return found is not None


async def runbook_exists(session: AsyncSession, tenant_id: uuid.UUID, runbook_id: Any) -> bool:
    try:
        parsed = uuid.UUID(str(runbook_id))
    except ValueError:
        return False
    found = await session.scalar(
        select(Runbook.id).where(Runbook.tenant_id == tenant_id, Runbook.id == parsed, Runbook.archived_at.is_(None))
    )
    return found is not None


async def fulfillment_problems(
    session: AsyncSession, tenant_id: uuid.UUID, fulfillment_type: str, config: dict[str, Any]
) -> list[dict[str, str]]:
    """422 entries for a fulfillment config that does not fit its type or names something missing."""
    problems: list[dict[str, str]] = []
    if fulfillment_type == "runbook":
        if "runbook_id" not in config:
            problems.append({"field": "fulfillment_config.runbook_id", "message": "a runbook fulfillment needs one"})
        elif not await runbook_exists(session, tenant_id, config["runbook_id"]):
            problems.append({"field": "fulfillment_config.runbook_id", "message": "no such runbook in this tenant"})
        if not isinstance(config.get("parameters", {}), dict):
            problems.append({"field": "fulfillment_config.parameters", "message": "must be an object"})
    elif fulfillment_type == "workflow":
        workflow_id = config.get("workflow_id")
        if workflow_id is None:
            problems.append({"field": "fulfillment_config.workflow_id", "message": "a workflow fulfillment needs one"})
        else:
            try:
                known = await _is_automation_workflow(session, tenant_id, uuid.UUID(str(workflow_id)))
            except ValueError:
                known = False
            if not known:
                problems.append(
                    {"field": "fulfillment_config.workflow_id", "message": "no such automation workflow in this tenant"}
                )
    unknown = set(config) - {"runbook_id", "parameters", "workflow_id", "inputs"}
    problems += [{"field": f"fulfillment_config.{k}", "message": "unknown setting"} for k in sorted(unknown)]
    return problems
