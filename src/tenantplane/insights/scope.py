"""Who may see which figures, and the filters of a request: the `Scope` every insights query is built from.

An admin sees every catalog item's figures (and change requests' approvals); anyone else only those of the service
requests of items whose owner group they are a member of. Automation figures need `executions.read_all`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.identity.auth import Principal
from tenantplane.identity.models import GroupMembership
from tenantplane.identity.permissions import Permission
from tenantplane.itsm.models import CatalogItem
from tenantplane.kit.errors import Forbidden, ValidationFailed

DEFAULT_RANGE = timedelta(days=30)
MAX_RANGE = timedelta(days=366)


@dataclass(frozen=True, kw_only=True)
class Filters:
    start: datetime | None = None
    end: datetime | None = None
    catalog_item_id: uuid.UUID | None = None
    definition_id: uuid.UUID | None = None
    workflow_id: uuid.UUID | None = None


@dataclass(frozen=True, kw_only=True)
class Scope:
    """A checked range [start, end), the tenant, and the items whose requests count (None: every record)."""

    tenant_id: uuid.UUID
    start: datetime
    end: datetime
    now: datetime
    items: tuple[uuid.UUID, ...] | None
    definition_id: uuid.UUID | None
    workflow_id: uuid.UUID | None

    def params(self, **more: Any) -> dict[str, Any]:
        found: dict[str, Any] = {"tenant": self.tenant_id, "start": self.start, "end": self.end, "now": self.now}
        if self.items is not None:
            found["items"] = list(self.items)
        if self.definition_id is not None:
            found["definition"] = self.definition_id
        if self.workflow_id is not None:
            found["workflow"] = self.workflow_id
        return {**found, **more}

    def request_filter(self, alias: str) -> str:
        """SQL condition on an alias of a table with `catalog_item_id` (service_requests, sla_clocks): its item is one
        of the scope's (nothing when unrestricted)."""
        return "" if self.items is None else f" AND {alias}.catalog_item_id = ANY(:items)"

    def instance_filter(self, alias: str) -> str:
        """SQL condition on an approval_instances alias: the definition filter and the scope's items."""
        found = "" if self.definition_id is None else f" AND {alias}.definition_id = :definition"
        if self.items is not None:
            found += (
                f" AND {alias}.record_type = 'service_request' AND EXISTS (SELECT 1 FROM service_requests sr_scope"
                f" WHERE sr_scope.id = {alias}.record_id AND sr_scope.catalog_item_id = ANY(:items))"
            )
        return found

    def workflow_filter(self, alias: str) -> str:
        return "" if self.workflow_id is None else f" AND {alias}.workflow_id = :workflow"


def _range(filters: Filters, now: datetime) -> tuple[datetime, datetime]:
    end = filters.end or now
    try:
        start = filters.start or end - DEFAULT_RANGE
    except OverflowError:  # `to` in the first days of year 1
        raise ValidationFailed.field("query.to", "is too early") from None
    if start >= end:
        raise ValidationFailed.field("query.from", "must be before `to`")
    if end - start > MAX_RANGE:
        raise ValidationFailed.field("query.from", f"the range may span at most {MAX_RANGE.days} days")
    return start, end


async def owned_items(session: AsyncSession, principal: Principal) -> tuple[uuid.UUID, ...]:
    """The catalog items whose owner group the principal is a member of."""
    stmt = (
        select(CatalogItem.id)
        .join(GroupMembership, GroupMembership.group_id == CatalogItem.owner_group_id)
        .where(CatalogItem.tenant_id == principal.tenant, GroupMembership.user_id == principal.id)
    )
    return tuple(await session.scalars(stmt))


async def scope_for(
    session: AsyncSession, principal: Principal, filters: Filters, *, automation: bool = False
) -> Scope:
    """The caller's scope for these filters: 422 for a bad range, 403 for an item they do not own or automation
    figures without `executions.read_all`."""
    now = datetime.now(UTC)
    start, end = _range(filters, now)
    if automation and not principal.can(Permission.EXECUTIONS_READ_ALL):
        raise Forbidden("Automation insights need the executions.read_all permission.")
    items: tuple[uuid.UUID, ...] | None = None
    if "admin" not in principal.roles:
        items = await owned_items(session, principal)
    if filters.catalog_item_id is not None:
        if items is not None and filters.catalog_item_id not in items:
            raise Forbidden("You are not an owner of this catalog item.")
        items = (filters.catalog_item_id,)
    return Scope(
        tenant_id=principal.tenant,
        start=start,
        end=end,
        now=now,
        items=items,
        definition_id=filters.definition_id,
        workflow_id=filters.workflow_id,
    )
