"""Catalog items: the request forms people pick from, and how each is approved and fulfilled.

Saving checks every reference in the tenant (approval definition, runbook, workflow, group) → 422 per field.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import BindParameter, Select, and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.models import ApprovalDefinition, ApprovalDefinitionVersion
from tenantplane.audit.service import record_event
from tenantplane.identity.auth import Principal
from tenantplane.identity.models import Group
from tenantplane.identity.repository import contains
from tenantplane.itsm import references
from tenantplane.itsm.forms import check_form
from tenantplane.itsm.models import CatalogItem
from tenantplane.itsm.schemas import CatalogItemIn
from tenantplane.kit.errors import Conflict, NotFound, ValidationFailed
from tenantplane.kit.pagination import paginate
from tenantplane.sla.business_time import WorkingCalendar
from tenantplane.sla.calendars import working_calendar
from tenantplane.sla.models import BusinessCalendar, SlaPolicy
from tenantplane.sla.policies import policy_problem


def items_of(tenant_id: uuid.UUID) -> Select[tuple[CatalogItem]]:
    return select(CatalogItem).where(CatalogItem.tenant_id == tenant_id)


async def get_item(
    session: AsyncSession, tenant_id: uuid.UUID, item_id: uuid.UUID, *, lock: bool = False
) -> CatalogItem:
    stmt = items_of(tenant_id).where(CatalogItem.id == item_id)
    item = await session.scalar(stmt.with_for_update() if lock else stmt)
    if item is None:
        raise NotFound(f"No catalog item {item_id} in this tenant.")
    return item


def _item_to_request() -> Select[
    tuple[CatalogItem, ApprovalDefinition, ApprovalDefinitionVersion, SlaPolicy, BusinessCalendar]
]:
    tenant_id: BindParameter[uuid.UUID] = bindparam("tenant_id")
    definition = and_(
        ApprovalDefinition.tenant_id == tenant_id, ApprovalDefinition.id == CatalogItem.workflow_definition_id
    )
    version = and_(
        ApprovalDefinitionVersion.tenant_id == tenant_id,
        ApprovalDefinitionVersion.definition_id == ApprovalDefinition.id,
        ApprovalDefinitionVersion.version == ApprovalDefinition.version,
    )
    policy = and_(SlaPolicy.tenant_id == tenant_id, SlaPolicy.id == CatalogItem.sla_policy_id)
    calendar = and_(BusinessCalendar.tenant_id == tenant_id, BusinessCalendar.id == SlaPolicy.calendar_id)
    return (
        items_of(cast(uuid.UUID, tenant_id))
        .add_columns(ApprovalDefinition, ApprovalDefinitionVersion, SlaPolicy, BusinessCalendar)
        .outerjoin(ApprovalDefinition, definition)
        .outerjoin(ApprovalDefinitionVersion, version)
        .outerjoin(SlaPolicy, policy)
        .outerjoin(BusinessCalendar, calendar)
        .where(CatalogItem.id == bindparam("item_id"))
    )


_ITEM_TO_REQUEST = _item_to_request()  # built once (it is on every submit), the tenant and item bound per call


class ItemToRequest(NamedTuple):
    """What a submit needs of its item, read in one query."""

    item: CatalogItem
    definition: ApprovalDefinition | None
    version: ApprovalDefinitionVersion | None
    service_level: tuple[SlaPolicy, WorkingCalendar | None] | None


async def get_item_to_request(session: AsyncSession, tenant_id: uuid.UUID, item_id: uuid.UUID) -> ItemToRequest:
    """The item, with its approval definition and that definition's current version when it has one, and its SLA
    policy with that policy's calendar (one query)."""
    row = (await session.execute(_ITEM_TO_REQUEST, {"tenant_id": tenant_id, "item_id": item_id})).one_or_none()
    if row is None:
        raise NotFound(f"No catalog item {item_id} in this tenant.")
    policy, calendar = row[3], row[4]
    service_level = (policy, working_calendar(calendar) if calendar is not None else None) if policy else None
    return ItemToRequest(row[0], row[1], row[2], service_level)


async def list_items(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    include_inactive: bool,
    category: str | None,
    q: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[CatalogItem], str | None]:
    stmt = items_of(tenant_id)
    if not include_inactive:
        stmt = stmt.where(CatalogItem.active.is_(True))
    if category:
        stmt = stmt.where(CatalogItem.category == category)
    if q:
        stmt = stmt.where(CatalogItem.name.ilike(contains(q)) | CatalogItem.description.ilike(contains(q)))
    return await paginate(
        session, stmt, created_col=CatalogItem.created_at, id_col=CatalogItem.id, cursor=cursor, limit=limit
    )


async def _check(session: AsyncSession, tenant_id: uuid.UUID, data: CatalogItemIn) -> list[dict[str, Any]]:
    variables = [v.model_dump(exclude_none=True) for v in data.variables]
    _, problems = check_form(variables)
    errors = [{"field": field, "message": message} for field, message in problems]
    if data.workflow_definition_id is not None:
        problem = await references.approval_definition_problem(session, tenant_id, data.workflow_definition_id)
        if problem:
            errors.append({"field": "workflow_definition_id", "message": problem})
    errors += await references.fulfillment_problems(session, tenant_id, data.fulfillment_type, data.fulfillment_config)
    if data.fulfillment_group is not None:
        group = await session.scalar(
            select(Group.id).where(Group.tenant_id == tenant_id, Group.id == data.fulfillment_group)
        )
        if group is None:
            errors.append(
                {"field": "fulfillment_group", "message": f"no group {data.fulfillment_group} in this tenant"}
            )
    if data.owner_group_id is not None:
        owner = await session.scalar(
            select(Group.id).where(Group.tenant_id == tenant_id, Group.id == data.owner_group_id)
        )
        if owner is None:
            errors.append({"field": "owner_group_id", "message": f"no group {data.owner_group_id} in this tenant"})
    if data.sla_policy_id is not None and (problem := await policy_problem(session, tenant_id, data.sla_policy_id)):
        errors.append({"field": "sla_policy_id", "message": problem})
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)
    return variables


async def _unique_name(session: AsyncSession, tenant_id: uuid.UUID, name: str, exclude: uuid.UUID | None) -> None:
    clash = await session.scalar(items_of(tenant_id).where(CatalogItem.name == name, CatalogItem.id != exclude))
    if clash is not None:
        raise Conflict(f"A catalog item named '{name}' already exists.", errors=[{"field": "name", "message": "taken"}])


async def create_item(session: AsyncSession, *, actor: Principal, data: CatalogItemIn) -> CatalogItem:
    variables = await _check(session, actor.tenant, data)
    await _unique_name(session, actor.tenant, data.name, None)
    item = CatalogItem(
        tenant_id=actor.tenant,
        name=data.name,
        description=data.description,
        category=data.category,
        variables=variables,
        workflow_definition_id=data.workflow_definition_id,
        fulfillment_type=data.fulfillment_type,
        fulfillment_config=data.fulfillment_config,
        fulfillment_group_id=data.fulfillment_group,
        sla_policy_id=data.sla_policy_id,
        owner_group_id=data.owner_group_id,
        active=data.active,
    )
    session.add(item)
    await session.flush()
    await record_event(
        session,
        actor=actor,
        action="catalog_item.created",
        object_type="catalog_item",
        object_id=item.id,
        summary={"name": item.name, "fulfillment_type": item.fulfillment_type},
    )
    return item


async def update_item(
    session: AsyncSession, *, actor: Principal, item: CatalogItem, data: CatalogItemIn
) -> CatalogItem:
    variables = await _check(session, actor.tenant, data)
    await _unique_name(session, actor.tenant, data.name, item.id)
    item.name, item.description, item.category = data.name, data.description, data.category
    item.variables, item.workflow_definition_id = variables, data.workflow_definition_id
    item.fulfillment_type, item.fulfillment_config = data.fulfillment_type, data.fulfillment_config
    item.fulfillment_group_id, item.active = data.fulfillment_group, data.active
    item.sla_policy_id, item.owner_group_id = data.sla_policy_id, data.owner_group_id
    await session.flush()
    await record_event(
        session,
        actor=actor,
        action="catalog_item.updated",
        object_type="catalog_item",
        object_id=item.id,
        summary={"name": item.name, "active": item.active},
    )
    return item


async def retire_item(session: AsyncSession, *, actor: Principal, item: CatalogItem) -> None:
    """Deleting a catalog item retires it: existing requests keep pointing at it; it cannot be requested."""
    item.active = False
    await session.flush()
    await record_event(
        session,
        actor=actor,
        action="catalog_item.retired",
        object_type="catalog_item",
        object_id=item.id,
        summary={"name": item.name},
    )
