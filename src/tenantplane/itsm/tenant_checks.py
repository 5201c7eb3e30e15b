"""ITSM's answer to identity: may an id be a tenant's default approval definition for a change type?

Only an active approval definition of the same tenant may; anything else is a 422 naming `change_definitions.<type>`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.models import ApprovalDefinition
from tenantplane.identity.tenant_settings import CHANGE_DEFINITION, DefaultDefinition, setting_checks
from tenantplane.itsm import references
from tenantplane.kit.errors import ValidationFailed


@setting_checks.on(CHANGE_DEFINITION)
async def active_approval_definition(session: AsyncSession, subject: DefaultDefinition) -> None:
    # FOR KEY SHARE waits for an archive in flight (it holds FOR UPDATE) and then reads its outcome; an archive
    # that starts after this waits for this commit and then sees the new default among the definition's uses.
    await session.execute(
        select(ApprovalDefinition.id)
        .where(ApprovalDefinition.tenant_id == subject.tenant_id, ApprovalDefinition.id == subject.definition_id)
        .with_for_update(read=True, key_share=True)
    )
    problem = await references.approval_definition_problem(session, subject.tenant_id, subject.definition_id)
    if problem:
        raise ValidationFailed.field(subject.field, problem)
