"""What approvals do when identity deactivates a user: re-route the steps only that user could decide."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.rerouting import reroute_leaver
from tenantplane.identity.hooks import UserDeactivated, on_user_deactivated


@on_user_deactivated
async def reroute_pending_approvals(session: AsyncSession, event: UserDeactivated) -> None:
    await reroute_leaver(session, tenant_id=event.tenant_id, leaver=event.user_id, actor=event.actor)
