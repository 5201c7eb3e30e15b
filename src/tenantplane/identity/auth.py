"""Who is calling: bearer access tokens, personal API tokens and cookie sessions (with CSRF check).

Typed dependencies: `CurrentPrincipal`, `CurrentUser`, `PlatformAdminDep` and `require(permission)`.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select, update

from tenantplane.identity.models import ApiToken, PlatformAdmin, Tenant, User
from tenantplane.identity.permissions import Permission, permissions_for
from tenantplane.identity.security import API_TOKEN_PREFIX, digest, read_token
from tenantplane.identity.sessions import is_live
from tenantplane.kit.db import SessionDep
from tenantplane.kit.errors import Forbidden, Unauthorized
from tenantplane.settings import Settings

SESSION_COOKIE = "tp_session"
CSRF_COOKIE = "tp_csrf"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_bearer = HTTPBearer(auto_error=False, description="An access token from /api/auth/token or an API token")


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a tenant user, or a platform administrator (no tenant)."""

    kind: str
    id: uuid.UUID
    label: str
    tenant_id: uuid.UUID | None
    roles: frozenset[str]
    via: str
    user: User | None = None

    @property
    def permissions(self) -> frozenset[Permission]:
        return permissions_for(self.roles)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def tenant(self) -> uuid.UUID:
        if self.tenant_id is None:
            raise Forbidden("This endpoint belongs to a tenant; platform administrators have none.")
        return self.tenant_id


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _user_principal(
    session: SessionDep,
    user_id: uuid.UUID,
    tenant_id: uuid.UUID | None,
    via: str,
    generation: int | None,
    session_id: uuid.UUID | None = None,
) -> Principal:
    stmt = select(User, Tenant.is_active).join(Tenant, Tenant.id == User.tenant_id).where(User.id == user_id)
    if session_id is not None:
        # The cookie's server-side session, checked in the same query (one more primary-key probe, no round trip).
        stmt = stmt.add_columns(is_live(session_id))
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        raise Unauthorized("The credentials are no longer valid.")
    user, tenant_active, *session_live = row
    if (
        not user.is_active
        or not tenant_active
        or user.tenant_id != tenant_id
        or (generation is not None and generation != user.token_generation)
    ):
        raise Unauthorized("The credentials are no longer valid.")
    if session_live == [False]:
        raise Unauthorized("The session has ended (signed out or revoked); sign in again.")
    return Principal(
        kind="user",
        id=user.id,
        label=user.email,
        tenant_id=user.tenant_id,
        roles=frozenset(user.roles),
        via=via,
        user=user,
    )


async def _from_api_token(session: SessionDep, secret: str) -> Principal:
    token = await session.scalar(select(ApiToken).where(ApiToken.secret_hash == digest(secret)))
    now = datetime.now(UTC)
    if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        raise Unauthorized("The API token is unknown, expired or revoked.")
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        # Throttled write: at most one per minute per token, so reads stay cheap.
        await session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return await _user_principal(session, token.user_id, token.tenant_id, "api_token", None)


async def _from_platform(session: SessionDep, admin_id: uuid.UUID) -> Principal:
    admin = await session.get(PlatformAdmin, admin_id)
    if admin is None or not admin.is_active:
        raise Unauthorized("The credentials are no longer valid.")
    return Principal(
        kind="platform_admin", id=admin.id, label=admin.email, tenant_id=None, roles=frozenset(), via="bearer"
    )


def _check_csrf(request: Request, expected: str | None) -> None:
    if request.method in _SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden("A state-changing request with a session cookie needs the X-CSRF-Token header.")


async def current_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    settings = _settings(request)
    if credentials is not None:
        raw = credentials.credentials
        if raw.startswith(API_TOKEN_PREFIX):
            return await _from_api_token(session, raw)
        claims = read_token(settings.resolved_secret_key, raw)
        if claims is None or claims.kind == "session":
            raise Unauthorized("The access token is invalid or expired.")
        if claims.kind == "platform":
            return await _from_platform(session, claims.subject)
        return await _user_principal(session, claims.subject, claims.tenant_id, "bearer", claims.generation)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        claims = read_token(settings.resolved_secret_key, cookie)
        if claims is None or claims.kind != "session" or claims.session_id is None:
            raise Unauthorized("The session has expired; sign in again.")
        _check_csrf(request, claims.csrf)
        return await _user_principal(
            session, claims.subject, claims.tenant_id, "session", claims.generation, claims.session_id
        )
    raise Unauthorized("Authentication is required.")


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def current_user(principal: CurrentPrincipal) -> Principal:
    if principal.kind != "user":
        raise Forbidden("This endpoint is for tenant users.")
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


async def platform_admin(principal: CurrentPrincipal) -> Principal:
    if principal.kind != "platform_admin":
        raise Forbidden("Only platform administrators manage tenants.")
    return principal


PlatformAdminDep = Annotated[Principal, Depends(platform_admin)]


def require(permission: Permission) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through tenant users holding `permission`, and answers 403 otherwise."""

    async def check(principal: CurrentUser) -> Principal:
        if not principal.can(permission):
            raise Forbidden(f"This needs the '{permission.value}' permission.")
        return principal

    check.__name__ = f"require_{permission.name.lower()}"
    return check
