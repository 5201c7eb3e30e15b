"""What higher domains do when identity changes a user: registered in `tenantplane.<domain>.identity_hooks`.

Identity is a low layer and imports no approvals or automation: a user deactivated (by SCIM or an admin) is told
to whoever registered `on_user_deactivated`, in the same transaction as the change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.kit.actors import Actor
from tenantplane.kit.hooks import Hook, HookRegistry

USER_DEACTIVATED = "user_deactivated"


@dataclass(frozen=True)
class UserDeactivated:
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    actor: Actor | None
    reason: str = "user deactivated"


_HOOKS: HookRegistry[UserDeactivated] = HookRegistry("identity_hooks")


def on_user_deactivated(fn: Hook[UserDeactivated]) -> Hook[UserDeactivated]:
    """Register `fn(session, event)`: re-route what only the leaver could decide, and the like."""
    return _HOOKS.on(USER_DEACTIVATED)(fn)


async def user_deactivated(session: AsyncSession, event: UserDeactivated) -> int:
    return await _HOOKS.run(USER_DEACTIVATED, session, event)
