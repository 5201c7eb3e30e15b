"""What automation does when identity deactivates a user: re-route the approval gates only they could decide."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.automation.runs.rerouting import reroute_leaver_gates
from tenantplane.identity.hooks import UserDeactivated, on_user_deactivated


@on_user_deactivated
async def reroute_pending_gates(session: AsyncSession, event: UserDeactivated) -> None:
    await reroute_leaver_gates(session, tenant_id=event.tenant_id, leaver=event.user_id, actor=event.actor)
