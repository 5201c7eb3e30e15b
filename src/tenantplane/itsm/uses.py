"""What catalog items use, answered for `kit.usage`: approval definitions, runbooks and automation workflows.

Only active items count: an inactive one cannot be requested, and saving it active again re-checks its references.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.itsm.catalog import items_of
from tenantplane.itsm.models import CatalogItem
from tenantplane.kit.usage import Use, answers


def _same_id(given: Any, key: str) -> bool:
    """Configs keep ids as the client spelled them (upper case, braces, urn:), so compare them parsed."""
    try:
        return uuid.UUID(str(given)) == uuid.UUID(key)
    except ValueError:
        return False


@answers("approval_definition")
async def items_approved_by(session: AsyncSession, tenant_id: uuid.UUID, definition_id: str) -> list[Use]:
    rows = await session.execute(
        items_of(tenant_id)
        .with_only_columns(CatalogItem.id, CatalogItem.name)
        .where(CatalogItem.active.is_(True), CatalogItem.workflow_definition_id == uuid.UUID(definition_id))
    )
    return [Use("catalog_item", str(item_id), name) for item_id, name in rows.tuples()]


async def _items_fulfilled_by(
    session: AsyncSession, tenant_id: uuid.UUID, fulfillment_type: str, config_key: str, target: str
) -> list[Use]:
    rows = await session.execute(
        items_of(tenant_id)
        .with_only_columns(CatalogItem.id, CatalogItem.name, CatalogItem.fulfillment_config)
        .where(CatalogItem.active.is_(True), CatalogItem.fulfillment_type == fulfillment_type)
    )
    return [
        Use("catalog_item", str(item_id), name)
        for item_id, name, config in rows.tuples()
        if _same_id(config.get(config_key), target)
    ]


@answers("runbook")
async def items_fulfilled_by_runbook(session: AsyncSession, tenant_id: uuid.UUID, runbook_id: str) -> list[Use]:
    return await _items_fulfilled_by(session, tenant_id, "runbook", "runbook_id", runbook_id)


@answers("workflow")
async def items_fulfilled_by_workflow(session: AsyncSession, tenant_id: uuid.UUID, workflow_id: str) -> list[Use]:
    return await _items_fulfilled_by(session, tenant_id, "workflow", "workflow_id", workflow_id)
