"""Plan and apply YAML documents: create, update or leave unchanged, in dependency order, in one transaction.

Each update runs in a savepoint and is compared (as exported) before and after; no difference → rolled back.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.definitions import create_definition, update_definition
from tenantplane.approvals.models import ApprovalDefinition
from tenantplane.approvals.schemas import DefinitionWrite
from tenantplane.automation.definitions.models import Workflow
from tenantplane.automation.definitions.schemas import WorkflowWrite
from tenantplane.automation.definitions.service import create_workflow, update_workflow
from tenantplane.gitops import export as views
from tenantplane.gitops.documents import Document, GitopsError, catalog_body, user_id, workflow_body
from tenantplane.identity import service as identity
from tenantplane.identity.admins import ensure_tenant_has_admin
from tenantplane.identity.auth import Principal
from tenantplane.identity.models import Group, GroupMembership, User
from tenantplane.identity.schemas import GroupCreate, GroupUpdate, UserCreate, UserUpdate
from tenantplane.itsm.catalog import create_item, update_item
from tenantplane.itsm.models import CatalogItem
from tenantplane.itsm.schemas import CatalogItemIn
from tenantplane.kit.errors import DomainError
from tenantplane.runbooks.models import Runbook
from tenantplane.runbooks.schemas import RunbookWrite
from tenantplane.runbooks.service import create_runbook, update_runbook

Finder = Callable[[AsyncSession, uuid.UUID, str], Awaitable[Any]]
View = Callable[[AsyncSession, Any, views.Names], Awaitable[dict[str, Any]]]
Writer = Callable[[AsyncSession, Principal, Any, Document], Awaitable[None]]
SchemaT = TypeVar("SchemaT", bound=BaseModel)


@dataclass
class Change:
    action: str  # create | update | unchanged
    doc: Document
    fields: list[str] = field(default_factory=list)

    def line(self) -> str:
        marks = {"create": "+", "update": "~", "unchanged": "="}
        changed = f" (changed: {', '.join(self.fields)})" if self.fields else ""
        return f"{marks[self.action]} {self.action} {self.doc.label}{changed}"


def _schema(model: type[SchemaT], body: dict[str, Any], doc: Document) -> SchemaT:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise GitopsError(f"{doc.label}: {detail}") from exc


def diff(before: Any, after: Any, path: str = "") -> list[str]:
    """The paths (e.g. `steps[1].config.message`) at which two exported views differ."""
    if isinstance(before, dict) and isinstance(after, dict):
        keys = sorted(set(before) | set(after), key=str)
        return [p for k in keys for p in diff(before.get(k), after.get(k), f"{path}.{k}" if path else str(k))]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [p for i, (b, a) in enumerate(zip(before, after, strict=True)) for p in diff(b, a, f"{path}[{i}]")]
    return [] if before == after else [path or "(document)"]


async def _by_name(session: AsyncSession, model: Any, tenant_id: uuid.UUID, name: str) -> Any:
    stmt = select(model).where(model.tenant_id == tenant_id, model.name == name)
    if hasattr(model, "archived_at"):
        stmt = stmt.where(model.archived_at.is_(None))
    return await session.scalar(stmt.execution_options(populate_existing=True))


async def _find_user(session: AsyncSession, tenant_id: uuid.UUID, email: str) -> User | None:
    stmt = select(User).where(User.tenant_id == tenant_id, User.email == email)
    user: User | None = await session.scalar(stmt.execution_options(populate_existing=True))
    return user


async def _write_user(session: AsyncSession, actor: Principal, user: User | None, doc: Document) -> None:
    body = {k: v for k, v in doc.body.items() if k != "manager"}
    manager = doc.body.get("manager")
    if manager is not None:
        body["manager_id"] = await user_id(session, actor.tenant, manager, f"{doc.label}: manager")
    if user is None:
        await identity.create_user(session, actor=actor, tenant_id=actor.tenant, data=_schema(UserCreate, body, doc))
        return
    body.pop("email", None)
    body.pop("password", None)  # a password is set when the user is created; apply never resets it
    data = _schema(UserUpdate, {"manager_id": None, "roles": [], **body}, doc)
    # The last-admin rule is checked once for the whole apply (apply_documents), so one apply may hand the
    # admin role from one user to another in either order.
    await identity.update_user(session, actor=actor, user=user, data=data, keep_an_admin=False)


async def _write_group(session: AsyncSession, actor: Principal, group: Group | None, doc: Document) -> None:
    body = {k: v for k, v in doc.body.items() if k != "members"}
    if group is None:
        group = await identity.create_group(session, actor=actor, data=_schema(GroupCreate, body, doc))
    else:
        await identity.update_group(session, actor=actor, group=group, data=_schema(GroupUpdate, body, doc))
    wanted = {await user_id(session, actor.tenant, e, f"{doc.label}: members") for e in doc.body.get("members") or []}
    current = set(await session.scalars(select(GroupMembership.user_id).where(GroupMembership.group_id == group.id)))
    for member in sorted(wanted - current):
        await identity.add_member(session, actor=actor, group=group, user_id=member)
    for member in sorted(current - wanted):
        await identity.remove_member(session, actor=actor, group=group, user_id=member)


async def _write_runbook(session: AsyncSession, actor: Principal, runbook: Runbook | None, doc: Document) -> None:
    data = _schema(RunbookWrite, doc.body, doc)
    if runbook is None:
        await create_runbook(session, actor=actor, data=data)
    else:
        await update_runbook(session, actor=actor, runbook=runbook, data=data)


async def _write_definition(
    session: AsyncSession, actor: Principal, definition: ApprovalDefinition | None, doc: Document
) -> None:
    data = _schema(DefinitionWrite, doc.body, doc)
    if definition is None:
        await create_definition(session, actor=actor, data=data)
    else:
        await update_definition(session, actor=actor, definition_id=definition.id, data=data)


async def _write_workflow(session: AsyncSession, actor: Principal, workflow: Workflow | None, doc: Document) -> None:
    data = _schema(WorkflowWrite, await workflow_body(session, actor.tenant, doc), doc)
    if workflow is None:
        await create_workflow(session, actor=actor, data=data)
    else:
        await update_workflow(session, actor=actor, workflow_id=workflow.id, data=data)


async def _write_item(session: AsyncSession, actor: Principal, item: CatalogItem | None, doc: Document) -> None:
    data = _schema(CatalogItemIn, await catalog_body(session, actor.tenant, doc), doc)
    if item is None:
        await create_item(session, actor=actor, data=data)
    else:
        await update_item(session, actor=actor, item=item, data=data)


def _named(model: Any) -> Finder:
    async def find(session: AsyncSession, tenant_id: uuid.UUID, key: str) -> Any:
        return await _by_name(session, model, tenant_id, key)

    return find


HANDLERS: dict[str, tuple[Finder, View, Writer]] = {
    "User": (_find_user, views.user_doc, _write_user),
    "Group": (_named(Group), views.group_doc, _write_group),
    "Runbook": (_named(Runbook), views.runbook_doc, _write_runbook),
    "ApprovalDefinition": (_named(ApprovalDefinition), views.definition_doc, _write_definition),
    "Workflow": (_named(Workflow), views.workflow_doc, _write_workflow),
    "CatalogItem": (_named(CatalogItem), views.catalog_doc, _write_item),
}


async def _apply_one(session: AsyncSession, actor: Principal, doc: Document) -> Change:
    find, view, write = HANDLERS[doc.kind]
    existing = await find(session, actor.tenant, doc.key)
    if existing is None:
        await write(session, actor, None, doc)
        return Change("create", doc)
    before = await view(session, existing, await views.Names().load(session, actor.tenant))
    savepoint = await session.begin_nested()
    await write(session, actor, existing, doc)
    current = await find(session, actor.tenant, doc.key)
    after = await view(session, current, await views.Names().load(session, actor.tenant)) if current else {}
    changed = diff(before, after)
    if not changed:
        await savepoint.rollback()
        return Change("unchanged", doc)
    await savepoint.commit()
    return Change("update", doc, changed)


async def apply_documents(session: AsyncSession, actor: Principal, documents: list[Document]) -> list[Change]:
    """Write every document in the caller's transaction; the first failure raises GitopsError naming it."""
    changes: list[Change] = []
    for doc in documents:
        try:
            changes.append(await _apply_one(session, actor, doc))
        except GitopsError as exc:
            raise GitopsError(f"{doc.source}: {exc}") from exc
        except DomainError as exc:
            raise GitopsError(f"{doc.source}: {doc.label}: {exc.detail}") from exc
    if any(c.doc.kind == "User" and c.action == "update" for c in changes):
        try:
            await ensure_tenant_has_admin(session, actor.tenant)
        except DomainError as exc:
            raise GitopsError(exc.detail) from exc
    return changes


async def admin_principal(session: AsyncSession, tenant_id: uuid.UUID) -> Principal | None:
    """The tenant's first admin, who the audit events of an apply name."""
    stmt = select(User).where(User.tenant_id == tenant_id, User.roles.contains(["admin"]), User.is_active.is_(True))
    user = await session.scalar(stmt.order_by(User.created_at).limit(1))
    if user is None:
        return None
    roles = frozenset(user.roles)
    return Principal(kind="user", id=user.id, label=user.email, tenant_id=tenant_id, roles=roles, via="cli", user=user)
