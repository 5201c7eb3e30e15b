"""SCIM tokens: create (the secret shown once), list, revoke; and the bearer check of the /scim/v2 routes.

A SCIM token acts as principal kind `scim` in its own tenant only; /api refuses it (it is no access or API token).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.identity.auth import Principal
from tenantplane.identity.models import Tenant
from tenantplane.identity.scim.models import ScimToken
from tenantplane.identity.security import digest
from tenantplane.kit.db import SessionDep
from tenantplane.kit.errors import Conflict, NotFound, Unauthorized

SCIM_TOKEN_PREFIX = "tpscim_"
LAST_USED_EVERY_SECONDS = 60


def scim_principal_of(token: ScimToken) -> Principal:
    return Principal(
        kind="scim",
        id=token.id,
        label=f"scim:{token.name}",
        tenant_id=token.tenant_id,
        roles=frozenset(),
        via="scim_token",
    )


async def create_token(session: AsyncSession, *, actor: Principal, name: str) -> tuple[ScimToken, str]:
    secret = SCIM_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ScimToken(
        tenant_id=actor.tenant,
        name=name,
        prefix=secret[: len(SCIM_TOKEN_PREFIX) + 6],
        secret_hash=digest(secret),
        created_by=actor.id if actor.kind == "user" else None,
    )
    session.add(token)
    await session.flush()
    await record_event(
        session,
        actor=actor,
        action="scim_token.created",
        object_type="scim_token",
        object_id=token.id,
        summary={"name": name},
    )
    return token, secret


async def list_tokens(session: AsyncSession, tenant_id: uuid.UUID) -> Sequence[ScimToken]:
    stmt = select(ScimToken).where(ScimToken.tenant_id == tenant_id).order_by(ScimToken.created_at, ScimToken.id)
    return (await session.scalars(stmt)).all()


async def get_token(session: AsyncSession, tenant_id: uuid.UUID, token_id: uuid.UUID) -> ScimToken:
    token = await session.scalar(select(ScimToken).where(ScimToken.tenant_id == tenant_id, ScimToken.id == token_id))
    if token is None:
        raise NotFound(f"No SCIM token {token_id}.")
    return token


async def revoke_token(session: AsyncSession, *, actor: Principal, token: ScimToken) -> None:
    if token.revoked_at is not None:
        raise Conflict("The SCIM token is already revoked.")
    token.revoked_at = datetime.now(UTC)
    await session.flush()
    await record_event(
        session,
        actor=actor,
        action="scim_token.revoked",
        object_type="scim_token",
        object_id=token.id,
        summary={"name": token.name},
    )


async def scim_caller(request: Request, session: SessionDep) -> Principal:
    """The SCIM token of the request (`Authorization: Bearer tpscim_…`), live and of an active tenant, else 401."""
    scheme, credentials = get_authorization_scheme_param(request.headers.get("Authorization"))
    if scheme.lower() != "bearer" or not credentials.startswith(SCIM_TOKEN_PREFIX):
        raise Unauthorized("A SCIM bearer token (tpscim_…) is required.")
    stmt = (
        select(ScimToken)
        .join(Tenant, Tenant.id == ScimToken.tenant_id)
        .where(ScimToken.secret_hash == digest(credentials), ScimToken.revoked_at.is_(None), Tenant.is_active)
    )
    token = await session.scalar(stmt)
    if token is None:
        raise Unauthorized("The SCIM token is unknown or revoked.")
    now = datetime.now(UTC)
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > LAST_USED_EVERY_SECONDS:
        token.last_used_at = now
    return scim_principal_of(token)


ScimCaller = Annotated[Principal, Depends(scim_caller)]
