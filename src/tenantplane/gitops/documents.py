"""YAML documents of the gitops CLI: loading, and turning a document into the body its service takes.

Documents reference other objects by name (runbook, workflow, approval definition, group) or email (user).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.models import ApprovalDefinition
from tenantplane.automation.definitions.models import Workflow
from tenantplane.identity.models import Group, User
from tenantplane.runbooks.models import Runbook
from tenantplane.sla.models import SlaPolicy

KINDS = ("User", "Group", "Runbook", "ApprovalDefinition", "Workflow", "CatalogItem")


class GitopsError(Exception):
    """A document that cannot be applied; the message names the document and the field."""


@dataclass(frozen=True)
class Document:
    kind: str
    key: str
    body: dict[str, Any]
    source: str

    @property
    def label(self) -> str:
        return f"{self.kind} '{self.key}'"


def _document(raw: Any, source: str) -> Document:
    if not isinstance(raw, dict) or raw.get("kind") not in KINDS:
        raise GitopsError(f"{source}: every document needs a kind, one of {', '.join(KINDS)}")
    body = {k: v for k, v in raw.items() if k != "kind"}
    key = body.get("email") if raw["kind"] == "User" else body.get("name")
    if not isinstance(key, str) or not key:
        field = "email" if raw["kind"] == "User" else "name"
        raise GitopsError(f"{source}: a {raw['kind']} document needs a {field}")
    return Document(kind=raw["kind"], key=key.lower() if raw["kind"] == "User" else key, body=body, source=source)


def load_documents(paths: Iterable[Path]) -> list[Document]:
    """Every document of the files (a directory: its *.yaml / *.yml files, sorted), sorted by dependency."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
        elif path.exists():
            files.append(path)
        else:
            raise GitopsError(f"{path}: no such file or directory")
    documents: list[Document] = []
    for file in files:
        try:
            raws = [raw for raw in yaml.safe_load_all(file.read_text()) if raw is not None]
        except yaml.YAMLError as exc:
            raise GitopsError(f"{file}: not valid YAML: {exc}") from exc
        documents += [_document(raw, str(file)) for raw in raws]
    _check_duplicates(documents)
    return sorted(documents, key=lambda d: KINDS.index(d.kind))


def _check_duplicates(documents: list[Document]) -> None:
    seen: dict[tuple[str, str], str] = {}
    for doc in documents:
        if (doc.kind, doc.key) in seen:
            raise GitopsError(f"{doc.label} is defined twice ({seen[(doc.kind, doc.key)]} and {doc.source})")
        seen[(doc.kind, doc.key)] = doc.source


async def runbook_id(session: AsyncSession, tenant_id: uuid.UUID, name: Any, where: str) -> str:
    stmt = select(Runbook.id).where(Runbook.tenant_id == tenant_id, Runbook.name == name, Runbook.archived_at.is_(None))
    found = await session.scalar(stmt)
    if found is None:
        raise GitopsError(f"{where}: no runbook named {name!r}")
    return str(found)


async def workflow_id(session: AsyncSession, tenant_id: uuid.UUID, name: Any, where: str) -> str:
    stmt = select(Workflow.id).where(
        Workflow.tenant_id == tenant_id, Workflow.name == name, Workflow.archived_at.is_(None)
    )
    found = await session.scalar(stmt)
    if found is None:
        raise GitopsError(f"{where}: no automation workflow named {name!r}")
    return str(found)


async def definition_id(session: AsyncSession, tenant_id: uuid.UUID, name: Any, where: str) -> str:
    stmt = select(ApprovalDefinition.id).where(
        ApprovalDefinition.tenant_id == tenant_id,
        ApprovalDefinition.name == name,
        ApprovalDefinition.archived_at.is_(None),
    )
    found = await session.scalar(stmt)
    if found is None:
        raise GitopsError(f"{where}: no approval definition named {name!r}")
    return str(found)


async def group_id(session: AsyncSession, tenant_id: uuid.UUID, name: Any, where: str) -> uuid.UUID:
    found = await session.scalar(select(Group.id).where(Group.tenant_id == tenant_id, Group.name == name))
    if found is None:
        raise GitopsError(f"{where}: no group named {name!r}")
    return found


async def sla_policy_id(session: AsyncSession, tenant_id: uuid.UUID, name: Any, where: str) -> uuid.UUID:
    """SLA policies are written through the API (/api/sla/policies); a document names one that exists."""
    found = await session.scalar(select(SlaPolicy.id).where(SlaPolicy.tenant_id == tenant_id, SlaPolicy.name == name))
    if found is None:
        raise GitopsError(f"{where}: no SLA policy named {name!r}")
    return found


async def user_id(session: AsyncSession, tenant_id: uuid.UUID, email: Any, where: str) -> uuid.UUID:
    stmt = select(User.id).where(User.tenant_id == tenant_id, User.email == str(email).lower())
    found = await session.scalar(stmt)
    if found is None:
        raise GitopsError(f"{where}: no user with email {email!r}")
    return found


async def workflow_body(session: AsyncSession, tenant_id: uuid.UUID, doc: Document) -> dict[str, Any]:
    """The WorkflowWrite body: a runbook step's `runbook: NAME` becomes `runbook_id`."""
    body = {**doc.body, "steps": [dict(step) for step in doc.body.get("steps") or []]}
    for index, step in enumerate(body["steps"]):
        config = dict(step.get("config") or {})
        if "runbook" in config:
            where = f"{doc.label}: steps[{index}].config.runbook"
            config["runbook_id"] = await runbook_id(session, tenant_id, config.pop("runbook"), where)
        step["config"] = config
    return body


async def catalog_body(session: AsyncSession, tenant_id: uuid.UUID, doc: Document) -> dict[str, Any]:
    """The CatalogItemIn body, with workflow_definition, fulfillment_config.runbook/workflow, group by name."""
    body = dict(doc.body)
    if (name := body.pop("workflow_definition", None)) is not None:
        where = f"{doc.label}: workflow_definition"
        body["workflow_definition_id"] = await definition_id(session, tenant_id, name, where)
    config = dict(body.get("fulfillment_config") or {})
    if "runbook" in config:
        where = f"{doc.label}: fulfillment_config.runbook"
        config["runbook_id"] = await runbook_id(session, tenant_id, config.pop("runbook"), where)
    if "workflow" in config:
        where = f"{doc.label}: fulfillment_config.workflow"
        config["workflow_id"] = await workflow_id(session, tenant_id, config.pop("workflow"), where)
    body["fulfillment_config"] = config
    if (group := body.get("fulfillment_group")) is not None:
        body["fulfillment_group"] = await group_id(session, tenant_id, group, f"{doc.label}: fulfillment_group")
    if (owner := body.pop("owner_group", None)) is not None:
        body["owner_group_id"] = await group_id(session, tenant_id, owner, f"{doc.label}: owner_group")
    if (policy := body.pop("sla_policy", None)) is not None:
        body["sla_policy_id"] = await sla_policy_id(session, tenant_id, policy, f"{doc.label}: sla_policy")
    return body


def dump_documents(documents: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False, allow_unicode=True, default_flow_style=False)
