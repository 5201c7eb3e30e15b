"""The settings a tenant admin edits (PATCH /api/tenant): name, egress allow-list, default change definitions.

A default names an approval definition, which identity must not import: it asks the domains registered in
`tenantplane.<domain>.tenant_checks` (ITSM, which owns changes) whether the id may be a default.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.identity.auth import Principal
from tenantplane.identity.models import Group, Tenant
from tenantplane.identity.repository import groups_of
from tenantplane.identity.schemas import ChangeDefinitionsUpdate, TenantSettingsUpdate
from tenantplane.kit.errors import NotFound, ValidationFailed
from tenantplane.kit.hooks import HookRegistry

CHANGE_DEFINITION = "change_definition"


@dataclass(frozen=True)
class DefaultDefinition:
    """A proposed default: changes of `change_type` in the tenant would get approval definition `definition_id`."""

    tenant_id: uuid.UUID
    change_type: str
    definition_id: uuid.UUID

    @property
    def field(self) -> str:
        return f"change_definitions.{self.change_type}"


# A check raises ValidationFailed naming `subject.field` when the id may not be a default.
setting_checks: HookRegistry[DefaultDefinition] = HookRegistry("tenant_checks")


async def _merged_defaults(session: AsyncSession, tenant: Tenant, given: ChangeDefinitionsUpdate) -> dict[str, str]:
    """The tenant's defaults with `given` merged in (null clears a type), every new id checked first."""
    if not setting_checks.has(CHANGE_DEFINITION):  # nothing could vouch for the ids: refuse rather than trust
        raise ValidationFailed.field("change_definitions", "approval definitions cannot be checked here")
    merged = dict(tenant.change_definitions)
    errors: list[dict[str, Any]] = []
    for change_type, definition_id in given.model_dump(exclude_unset=True).items():
        if definition_id is None:
            merged.pop(change_type, None)
            continue
        try:
            await setting_checks.run(
                CHANGE_DEFINITION, session, DefaultDefinition(tenant.id, change_type, definition_id)
            )
        except ValidationFailed as refused:
            errors += refused.errors or []
        merged[change_type] = str(definition_id)
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)
    return merged


async def _fallback_group(session: AsyncSession, tenant_id: uuid.UUID, group_id: uuid.UUID | None) -> uuid.UUID | None:
    """The group a leaver's pending approvals go to: one of this tenant's groups, or null (the admins)."""
    if group_id is not None and await session.scalar(groups_of(tenant_id).where(Group.id == group_id)) is None:
        raise ValidationFailed.field("fallback_group_id", f"no group {group_id} in this tenant")
    return group_id


async def update_tenant_settings(session: AsyncSession, *, actor: Principal, data: TenantSettingsUpdate) -> Tenant:
    # The defaults are merged (read, change, write): two admins saving different types at once must both count.
    tenant = await session.get(Tenant, actor.tenant, with_for_update={"key_share": True}, populate_existing=True)
    if tenant is None:
        raise NotFound(f"No tenant {actor.tenant}.")
    changes = data.model_dump(
        exclude_unset=True, exclude_none=True, exclude={"change_definitions", "fallback_group_id"}
    )
    if "fallback_group_id" in data.model_fields_set:
        changes["fallback_group_id"] = await _fallback_group(session, tenant.id, data.fallback_group_id)
    if "egress_allow_list" in changes:
        changes["egress_allow_list"] = sorted({h.lower() for h in changes["egress_allow_list"]})
    if data.change_definitions is not None:
        changes["change_definitions"] = await _merged_defaults(session, tenant, data.change_definitions)
    for field, value in changes.items():
        setattr(tenant, field, value)
    await session.flush()
    await record_event(
        session,
        actor=actor,
        action="tenant.settings_updated",
        object_type="tenant",
        object_id=tenant.id,
        summary=changes,
    )
    return tenant
