"""Queries of tenant secrets, each starting from the tenant-scoped base statement.

Another tenant's secret is indistinguishable from a missing one (NotFound).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.kit.errors import NotFound
from tenantplane.kit.pagination import paginate
from tenantplane.secrets.models import Secret


def secrets_of(tenant_id: uuid.UUID) -> Select[tuple[Secret]]:
    return select(Secret).where(Secret.tenant_id == tenant_id)


async def get_secret(session: AsyncSession, tenant_id: uuid.UUID, secret_id: uuid.UUID) -> Secret:
    secret = await session.scalar(secrets_of(tenant_id).where(Secret.id == secret_id))
    if secret is None:
        raise NotFound(f"No secret {secret_id} in this tenant.")
    return secret


async def list_secrets(
    session: AsyncSession, tenant_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[Sequence[Secret], str | None]:
    return await paginate(
        session, secrets_of(tenant_id), created_col=Secret.created_at, id_col=Secret.id, cursor=cursor, limit=limit
    )


async def secrets_named(session: AsyncSession, tenant_id: uuid.UUID, names: Iterable[str]) -> Sequence[Secret]:
    wanted = sorted(set(names))
    if not wanted:
        return []
    return (await session.scalars(secrets_of(tenant_id).where(Secret.name.in_(wanted)))).all()


async def existing_names(session: AsyncSession, tenant_id: uuid.UUID, names: Iterable[str]) -> set[str]:
    return {secret.name for secret in await secrets_named(session, tenant_id, names)}
