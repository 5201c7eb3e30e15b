"""The current definitions of a tenant as YAML documents, ids replaced by the names `apply` accepts.

`apply` compares these views before and after a change, so export and apply always agree on "unchanged".
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.engine import GROUP_TARGET
from tenantplane.approvals.models import ApprovalDefinition, ApprovalDefinitionVersion
from tenantplane.automation.definitions.models import Workflow, WorkflowVersion
from tenantplane.identity.models import Group, GroupMembership, User
from tenantplane.itsm.models import CatalogItem
from tenantplane.runbooks.models import Runbook, RunbookVersion
from tenantplane.sla.models import SlaPolicy

FRESH = {"populate_existing": True}


class Names:
    """Id → name (or email) of everything a document may reference, loaded once per tenant."""

    def __init__(self) -> None:
        self.by_id: dict[str, str] = {}

    async def load(self, session: AsyncSession, tenant_id: uuid.UUID) -> Names:
        for model, column in (
            (User, User.email),
            (Group, Group.name),
            (Runbook, Runbook.name),
            (Workflow, Workflow.name),
            (ApprovalDefinition, ApprovalDefinition.name),
            (SlaPolicy, SlaPolicy.name),
        ):
            rows = await session.execute(select(model.id, column).where(model.tenant_id == tenant_id))
            self.by_id.update({str(row[0]): row[1] for row in rows})
        return self

    def of(self, value: Any) -> Any:
        return self.by_id.get(str(value), value) if value is not None else None

    def of_target(self, escalate_to: Any) -> Any:
        """An escalation target as `apply` accepts it: `group:<id>` → `group:<name>`."""
        if isinstance(escalate_to, str) and escalate_to.startswith(GROUP_TARGET):
            return GROUP_TARGET + str(self.of(escalate_to.removeprefix(GROUP_TARGET)))
        return escalate_to


async def user_doc(session: AsyncSession, user: User, names: Names) -> dict[str, Any]:
    return {
        "kind": "User",
        "email": user.email,
        "display_name": user.display_name,
        "roles": sorted(user.roles),
        "manager": names.of(user.manager_id),
    }


async def group_doc(session: AsyncSession, group: Group, names: Names) -> dict[str, Any]:
    members = await session.scalars(select(GroupMembership.user_id).where(GroupMembership.group_id == group.id))
    return {
        "kind": "Group",
        "name": group.name,
        "description": group.description,
        "members": sorted(names.of(m) for m in members),
    }


async def runbook_doc(session: AsyncSession, runbook: Runbook, names: Names) -> dict[str, Any]:
    definition = await session.scalar(
        select(RunbookVersion.definition).where(
            RunbookVersion.runbook_id == runbook.id, RunbookVersion.version == runbook.current_version
        )
    )
    return {"kind": "Runbook", "name": runbook.name, **(definition or {})}


async def definition_doc(session: AsyncSession, definition: ApprovalDefinition, names: Names) -> dict[str, Any]:
    version = await session.scalar(
        select(ApprovalDefinitionVersion).where(
            ApprovalDefinitionVersion.definition_id == definition.id,
            ApprovalDefinitionVersion.version == definition.version,
        )
    )
    steps = [dict(step) for step in (version.steps if version else [])]
    for step in steps:
        if step.get("approver_type") in ("user", "group"):
            step["approver_value"] = names.of(step.get("approver_value"))
        if step.get("escalate_to") is not None:
            step["escalate_to"] = names.of_target(step["escalate_to"])
    return {
        "kind": "ApprovalDefinition",
        "name": definition.name,
        "description": definition.description,
        "allow_self_approval": definition.allow_self_approval,
        "steps": steps,
    }


async def workflow_doc(session: AsyncSession, workflow: Workflow, names: Names) -> dict[str, Any]:
    definition = await session.scalar(
        select(WorkflowVersion.definition).where(
            WorkflowVersion.workflow_id == workflow.id, WorkflowVersion.version == workflow.version
        )
    )
    definition = dict(definition or {})
    steps = [{**step, "config": dict(step.get("config") or {})} for step in definition.get("steps", [])]
    for step in steps:
        config = step["config"]
        if "runbook_id" in config:
            config["runbook"] = names.of(config.pop("runbook_id"))
        for approver in config.get("approvers") or []:
            if approver.get("type") in ("user", "group"):
                approver["value"] = names.of(approver.get("value"))
        if "escalate_to" in config:
            config["escalate_to"] = names.of_target(config["escalate_to"])
    return {
        "kind": "Workflow",
        "name": workflow.name,
        "description": workflow.description,
        "inputs": definition.get("inputs"),
        "allow_self_approval": bool(definition.get("allow_self_approval", False)),
        "steps": steps,
        "edges": definition.get("edges", []),
    }


async def catalog_doc(session: AsyncSession, item: CatalogItem, names: Names) -> dict[str, Any]:
    config = dict(item.fulfillment_config)
    for key, name in (("runbook_id", "runbook"), ("workflow_id", "workflow")):
        if key in config:
            config[name] = names.of(config.pop(key))
    document: dict[str, Any] = {
        "kind": "CatalogItem",
        "name": item.name,
        "description": item.description,
        "category": item.category,
        "variables": item.variables,
        "workflow_definition": names.of(item.workflow_definition_id),
        "fulfillment_type": item.fulfillment_type,
        "fulfillment_config": config,
        "fulfillment_group": names.of(item.fulfillment_group_id),
        "active": item.active,
    }
    if item.sla_policy_id is not None:  # only when set: documents of items without one read as before
        document["sla_policy"] = names.of(item.sla_policy_id)
    if item.owner_group_id is not None:  # likewise
        document["owner_group"] = names.of(item.owner_group_id)
    return document


async def export_documents(session: AsyncSession, tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every active definition of the tenant, in the order `apply` needs them."""
    names = await Names().load(session, tenant_id)
    documents: list[dict[str, Any]] = []
    users = await session.scalars(select(User).where(User.tenant_id == tenant_id).order_by(User.created_at))
    documents += [await user_doc(session, u, names) for u in users]
    groups = await session.scalars(select(Group).where(Group.tenant_id == tenant_id).order_by(Group.name))
    documents += [await group_doc(session, g, names) for g in groups]
    runbooks = await session.scalars(
        select(Runbook).where(Runbook.tenant_id == tenant_id, Runbook.archived_at.is_(None)).order_by(Runbook.name)
    )
    documents += [await runbook_doc(session, r, names) for r in runbooks]
    definitions = await session.scalars(
        select(ApprovalDefinition)
        .where(ApprovalDefinition.tenant_id == tenant_id, ApprovalDefinition.archived_at.is_(None))
        .order_by(ApprovalDefinition.name)
    )
    documents += [await definition_doc(session, d, names) for d in definitions]
    workflows = await session.scalars(
        select(Workflow).where(Workflow.tenant_id == tenant_id, Workflow.archived_at.is_(None)).order_by(Workflow.name)
    )
    documents += [await workflow_doc(session, w, names) for w in workflows]
    items = await session.scalars(
        select(CatalogItem).where(CatalogItem.tenant_id == tenant_id).order_by(CatalogItem.name)
    )
    documents += [await catalog_doc(session, i, names) for i in items]
    return documents
