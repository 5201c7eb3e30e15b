"""What tenant settings use: approval definitions (the default per change type), answered for `kit.usage`.

So archiving a tenant's default change definition is refused (or forced) like any other use of it.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.identity.models import Tenant
from tenantplane.kit.usage import Use, answers


@answers("approval_definition")
async def change_defaults_naming(session: AsyncSession, tenant_id: uuid.UUID, definition_id: str) -> list[Use]:
    defaults = await session.scalar(select(Tenant.change_definitions).where(Tenant.id == tenant_id)) or {}
    return [
        Use("tenant_setting", f"change_definitions.{change_type}", f"default definition of {change_type} changes")
        for change_type, given in sorted(defaults.items())
        if given == definition_id
    ]
