"""Business rules of automation workflow definitions: validate, save versions, archive.

Services flush and write one audit event per change in the caller's transaction; they never commit.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.automation.definitions import repository as repo
from tenantplane.automation.definitions.models import Workflow, WorkflowVersion
from tenantplane.automation.definitions.schemas import WorkflowRead, WorkflowWrite
from tenantplane.automation.definitions.validation import Problem, workflow_problems
from tenantplane.identity.auth import Principal
from tenantplane.kit.errors import Conflict, ValidationFailed
from tenantplane.kit.usage import archivable


def invalid(problems: list[Problem]) -> ValidationFailed:
    detail = "; ".join(f"{field}: {message}" for field, message in problems)
    return ValidationFailed(detail, errors=[{"field": field, "message": message} for field, message in problems])


async def checked_definition(session: AsyncSession, *, tenant_id: uuid.UUID, data: WorkflowWrite) -> dict[str, Any]:
    """The definition as stored (approver values as ids), or a 422 listing every problem."""
    problems = await workflow_problems(session, tenant_id, data)
    if problems:
        raise invalid(problems)
    return {
        "inputs": data.inputs,
        "allow_self_approval": data.allow_self_approval,
        "steps": [s.model_dump() for s in data.steps],
        "edges": [e.model_dump(by_alias=True) for e in data.edges],
    }


async def _add_version(
    session: AsyncSession, *, actor: Principal, workflow: Workflow, definition: dict[str, Any]
) -> None:
    session.add(
        WorkflowVersion(
            tenant_id=workflow.tenant_id,
            workflow_id=workflow.id,
            version=workflow.version,
            definition=definition,
            created_by=actor.id,
        )
    )
    await session.flush()


async def _audit(session: AsyncSession, actor: Principal, action: str, workflow: Workflow, **extra: Any) -> None:
    await record_event(
        session,
        actor=actor,
        action=action,
        object_type="workflow",
        object_id=workflow.id,
        summary={"name": workflow.name, "version": workflow.version, **extra},
    )


async def create_workflow(session: AsyncSession, *, actor: Principal, data: WorkflowWrite) -> WorkflowRead:
    definition = await checked_definition(session, tenant_id=actor.tenant, data=data)
    workflow = Workflow(
        tenant_id=actor.tenant, name=data.name, description=data.description, version=1, created_by=actor.id
    )
    session.add(workflow)
    await session.flush()
    await _add_version(session, actor=actor, workflow=workflow, definition=definition)
    await _audit(session, actor, "workflow.created", workflow)
    return workflow_read(workflow, definition)


async def update_workflow(
    session: AsyncSession, *, actor: Principal, workflow_id: uuid.UUID, data: WorkflowWrite
) -> WorkflowRead:
    """Save the body as the next version; running executions keep the version they started with."""
    workflow = await repo.get_workflow(session, actor.tenant, workflow_id, for_update=True)
    if workflow.archived_at is not None:
        raise Conflict(f"The workflow '{workflow.name}' is archived; archived workflows cannot be changed.")
    definition = await checked_definition(session, tenant_id=actor.tenant, data=data)
    workflow.name, workflow.description = data.name, data.description
    workflow.version += 1
    await session.flush()
    await _add_version(session, actor=actor, workflow=workflow, definition=definition)
    await session.refresh(workflow, ["updated_at"])
    await _audit(session, actor, "workflow.updated", workflow)
    return workflow_read(workflow, definition)


async def archive_workflow(
    session: AsyncSession, *, actor: Principal, workflow_id: uuid.UUID, force: bool = False
) -> None:
    """Archive (the DELETE of the API): hidden from lists, no new executions; running ones carry on.

    While active catalog items fulfil through it, a 409 lists them; `force` archives anyway and the audit event
    lists them.
    """
    workflow = await repo.get_workflow(session, actor.tenant, workflow_id, for_update=True)
    if workflow.archived_at is not None:
        raise Conflict(f"The workflow '{workflow.name}' is already archived.")
    what = f"The workflow '{workflow.name}'"
    used_by = await archivable(session, "workflow", actor.tenant, str(workflow.id), what=what, force=force)
    workflow.archived_at = datetime.now(UTC)
    await session.flush()
    extra = {"forced": True, "used_by": [use.as_dict() for use in used_by]} if used_by else {}
    await _audit(session, actor, "workflow.archived", workflow, **extra)


def workflow_read(workflow: Workflow, definition: dict[str, Any]) -> WorkflowRead:
    return WorkflowRead.model_validate(
        {
            "id": workflow.id,
            "name": workflow.name,
            "description": workflow.description,
            "version": workflow.version,
            "inputs": definition.get("inputs"),
            "allow_self_approval": bool(definition.get("allow_self_approval", False)),
            "steps": definition["steps"],
            "edges": definition["edges"],
            "archived_at": workflow.archived_at,
            "created_at": workflow.created_at,
            "updated_at": workflow.updated_at,
        }
    )
