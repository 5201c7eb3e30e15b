"""Queries of action links: by token hash (the token is the credential, so the tenant comes from the row), and a
tenant-scoped base for everything else.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.actionlinks.models import ActionLink


def links_of(tenant_id: uuid.UUID) -> Select[tuple[ActionLink]]:
    return select(ActionLink).where(ActionLink.tenant_id == tenant_id)


async def by_token_hash(session: AsyncSession, token_hash: str, *, for_update: bool = False) -> ActionLink | None:
    stmt = select(ActionLink).where(ActionLink.token_hash == token_hash)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    link: ActionLink | None = await session.scalar(stmt)
    return link


async def use_siblings(session: AsyncSession, link: ActionLink, at: datetime) -> None:
    """Mark every unused link of the same person and subject used: one decision per person, whichever link."""
    await session.execute(
        update(ActionLink)
        .where(
            ActionLink.tenant_id == link.tenant_id,
            ActionLink.subject_type == link.subject_type,
            ActionLink.subject_id == link.subject_id,
            ActionLink.user_id == link.user_id,
            ActionLink.used_at.is_(None),
        )
        .values(used_at=at)
    )
