"""What runbooks use: secrets (by name), answered for `kit.usage` so the secrets domain need not import runbooks.

A runbook uses what its current version lists; archived runbooks use nothing.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.kit.usage import Use, answers
from tenantplane.runbooks.repository import runbooks_using_secret


@answers("secret")
async def runbooks_needing_secret(session: AsyncSession, tenant_id: uuid.UUID, name: str) -> list[Use]:
    return [
        Use("runbook", str(runbook_id), runbook)
        for runbook_id, runbook in await runbooks_using_secret(session, tenant_id, name)
    ]
