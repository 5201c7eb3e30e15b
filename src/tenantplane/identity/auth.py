"""Who is calling: bearer access tokens, personal API tokens and cookie sessions (with CSRF check).

Typed dependencies: `CurrentPrincipal`, `CurrentUser`, `PlatformAdminDep` and `require(permission)`.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy import update

from tenantplane.identity import callers
from tenantplane.identity.callers import Caller, PrincipalUser
from tenantplane.identity.models import ApiToken
from tenantplane.identity.permissions import Permission, permissions_for
from tenantplane.identity.ratelimit import RateLimiter
from tenantplane.identity.security import API_TOKEN_PREFIX, digest, read_token
from tenantplane.kit.db import Database
from tenantplane.kit.errors import Forbidden, Unauthorized
from tenantplane.settings import Settings

SESSION_COOKIE = "tp_session"
CSRF_COOKIE = "tp_csrf"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LAST_USED_EVERY_SECONDS = 60  # an API token's last_used_at is written at most this often


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a tenant user, or a platform administrator (no tenant)."""

    kind: str
    id: uuid.UUID
    label: str
    tenant_id: uuid.UUID | None
    roles: frozenset[str]
    via: str
    # A tenant user's row: the read-only `Caller` on requests (load the ORM `User` to change it), else a `User`.
    user: PrincipalUser | None = None

    @cached_property
    def permissions(self) -> frozenset[Permission]:
        # Computed once per principal (one request), however many rows a list page asks `can` about.
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


def _live_user(row: Any | None, tenant_id: uuid.UUID | None, generation: int | None) -> Caller:
    """The caller a lookup row stands for, if the user and tenant are active and the token's generation current."""
    if row is None:
        raise Unauthorized("The credentials are no longer valid.")
    caller = Caller.of(row)
    if (
        not caller.is_active
        or not caller.tenant_active
        or caller.tenant_id != tenant_id
        or (generation is not None and generation != caller.token_generation)
    ):
        raise Unauthorized("The credentials are no longer valid.")
    return caller


def _principal(caller: Caller, via: str) -> Principal:
    return Principal(
        kind="user",
        id=caller.id,
        label=caller.email,
        tenant_id=caller.tenant_id,
        roles=frozenset(caller.roles),
        via=via,
        user=caller,
    )


async def _user_principal(
    database: Database,
    user_id: uuid.UUID,
    tenant_id: uuid.UUID | None,
    via: str,
    generation: int | None,
    session_id: uuid.UUID | None = None,
) -> Principal:
    row = await callers.by_user_id(database, user_id, session_id)
    caller = _live_user(row, tenant_id, generation)
    if row is not None and session_id is not None and not row.session_live:
        raise Unauthorized("The session has ended (signed out or revoked); sign in again.")
    return _principal(caller, via)


async def _from_api_token(database: Database, secret: str) -> Principal:
    row = await callers.by_api_token(database, digest(secret))
    now = datetime.now(UTC)
    if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at <= now):
        raise Unauthorized("The API token is unknown, expired or revoked.")
    caller = _live_user(row, row.token_tenant_id, None)
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > LAST_USED_EVERY_SECONDS:
        # Throttled write, at most one per minute per token, so reads stay cheap. It commits on its own (the token
        # was used, whatever the request does next), so authenticating needs no request session: a read that
        # asks for none, GET /api/me, opens no unit of work at all.
        async with database.transaction() as session:
            await session.execute(update(ApiToken).where(ApiToken.id == row.token_id).values(last_used_at=now))
    return _principal(caller, "api_token")


async def _from_platform(database: Database, admin_id: uuid.UUID) -> Principal:
    admin = await callers.platform_admin(database, admin_id)
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


def _bearer_token(request: Request) -> str | None:
    """The credentials of an `Authorization: Bearer …` header, read as FastAPI's HTTPBearer reads them."""
    authorization = request.headers.get("Authorization")
    scheme, credentials = get_authorization_scheme_param(authorization)
    if not (authorization and scheme and credentials) or scheme.lower() != "bearer":
        return None
    return credentials


def _limited(request: Request, caller: str) -> None:
    """Spend one request of the caller's rate (`identity.ratelimit`), before anything is read for it."""
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None:
        limiter.take(caller)


async def _resolve(request: Request) -> Principal:
    settings = _settings(request)
    database: Database = request.app.state.db
    raw = _bearer_token(request)
    if raw is not None:
        if raw.startswith(API_TOKEN_PREFIX):
            _limited(request, "api_token:" + digest(raw))
            return await _from_api_token(database, raw)
        claims = read_token(settings.resolved_secret_key, raw)
        if claims is None or claims.kind == "session":
            raise Unauthorized("The access token is invalid or expired.")
        _limited(request, f"{claims.kind}:{claims.subject}")
        if claims.kind == "platform":
            return await _from_platform(database, claims.subject)
        return await _user_principal(database, claims.subject, claims.tenant_id, "bearer", claims.generation)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        claims = read_token(settings.resolved_secret_key, cookie)
        if claims is None or claims.kind != "session" or claims.session_id is None:
            raise Unauthorized("The session has expired; sign in again.")
        _check_csrf(request, claims.csrf)
        _limited(request, f"session:{claims.session_id}")
        return await _user_principal(
            database, claims.subject, claims.tenant_id, "session", claims.generation, claims.session_id
        )
    raise Unauthorized("Authentication is required.")


class PrincipalScheme(SecurityBase):
    """The caller's principal, as one dependency that is also the OpenAPI bearer scheme.

    FastAPI documents a dependency that is a `SecurityBase` as a security scheme. Being the scheme itself, rather than
    a function depending on `HTTPBearer`, spares every authenticated request a dependency level and a credentials
    model, and the OpenAPI document stays as it was (scheme `HTTPBearer`, the same model and description).
    """

    def __init__(self, description: str) -> None:
        self.model = HTTPBearerModel(description=description)
        self.scheme_name = "HTTPBearer"

    async def __call__(self, request: Request) -> Principal:
        return await _resolve(request)


current_principal = PrincipalScheme("An access token from /api/auth/token or an API token")


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def _tenant_user(principal: Principal) -> Principal:
    if principal.kind != "user":
        raise Forbidden("This endpoint is for tenant users.")
    return principal


async def current_user(principal: CurrentPrincipal) -> Principal:
    return _tenant_user(principal)


CurrentUser = Annotated[Principal, Depends(current_user)]


async def platform_admin(principal: CurrentPrincipal) -> Principal:
    if principal.kind != "platform_admin":
        raise Forbidden("Only platform administrators manage tenants.")
    return principal


PlatformAdminDep = Annotated[Principal, Depends(platform_admin)]


def require(permission: Permission) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through tenant users holding `permission`, and answers 403 otherwise."""

    async def check(principal: CurrentPrincipal) -> Principal:
        # current_user's check inline, not as a dependency of its own: one dependency level less on every list page
        if not _tenant_user(principal).can(permission):
            raise Forbidden(f"This needs the '{permission.value}' permission.")
        return principal

    check.__name__ = f"require_{permission.name.lower()}"
    return check
