"""Sign-in (bearer token or cookie session), the caller's own profile, and personal API tokens.

POST /api/auth/token and /api/auth/session are the only identity routes open without credentials.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.identity import repository as repo
from tenantplane.identity import service, sessions
from tenantplane.identity.auth import CSRF_COOKIE, SESSION_COOKIE, CurrentUser
from tenantplane.identity.callers import Caller
from tenantplane.identity.login import SignedIn, sign_in
from tenantplane.identity.models import ApiToken, User
from tenantplane.identity.permissions import permissions_for
from tenantplane.identity.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenRead,
    MeRead,
    MeUpdate,
    SessionResponse,
    TokenRequest,
    TokenResponse,
    UserRead,
)
from tenantplane.identity.security import issue_token, read_token
from tenantplane.identity.throttle import client_address
from tenantplane.kit.db import Database, SessionDep
from tenantplane.kit.errors import Unauthorized
from tenantplane.kit.openapi import problems
from tenantplane.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, paginate
from tenantplane.kit.schemas import Page
from tenantplane.settings import Settings

router = APIRouter(tags=["auth"])


async def _sign_in(request: Request, session: AsyncSession, body: TokenRequest) -> tuple[Settings, SignedIn]:
    """Check the credentials of a token or session request (throttled per account and address)."""
    settings: Settings = request.app.state.settings
    database: Database = request.app.state.db
    signed = await sign_in(
        session,
        database,
        settings,
        tenant_slug=body.tenant,
        email=body.email,
        password=body.password,
        address=client_address(request),
    )
    return settings, signed


@router.post("/api/auth/token", response_model=TokenResponse, responses=problems(429))
async def create_access_token(body: TokenRequest, request: Request, session: SessionDep) -> TokenResponse:
    settings, signed = await _sign_in(request, session, body)
    ttl = settings.access_token_ttl_seconds
    token = issue_token(
        settings.resolved_secret_key,
        kind="access" if signed.user else "platform",
        subject=signed.principal.id,
        tenant_id=signed.principal.tenant_id,
        generation=signed.generation,
        ttl_seconds=ttl,
    )
    return TokenResponse(access_token=token, expires_in=ttl)


@router.post("/api/auth/session", response_model=SessionResponse, responses=problems(429))
async def create_session(
    body: TokenRequest, request: Request, response: Response, session: SessionDep
) -> SessionResponse:
    """Sign in the web UI: an HttpOnly session cookie plus a CSRF token to echo in X-CSRF-Token."""
    settings, signed = await _sign_in(request, session, body)
    if signed.user is None:
        raise Unauthorized("The web UI is for tenant users; sign in with a tenant.")
    return await start_web_session(session, settings, response, user=signed.user, generation=signed.generation)


async def start_web_session(
    session: AsyncSession, settings: Settings, response: Response, *, user: User, generation: int
) -> SessionResponse:
    """A new server-side session for `user`: the HttpOnly session cookie and the CSRF cookie set on `response`.

    Password sign-in (`POST /api/auth/session`) and single sign-on (the OIDC callback) both end here.
    """
    csrf = secrets.token_urlsafe(24)
    ttl = settings.session_ttl_seconds
    web_session = await sessions.start_session(session, user=user, ttl_seconds=ttl)
    cookie = issue_token(
        settings.resolved_secret_key,
        kind="session",
        subject=user.id,
        tenant_id=user.tenant_id,
        generation=generation,
        ttl_seconds=ttl,
        csrf=csrf,
        session_id=web_session.id,
    )
    response.set_cookie(
        SESSION_COOKIE, cookie, max_age=ttl, httponly=True, samesite="lax", secure=settings.cookie_secure, path="/"
    )
    response.set_cookie(
        CSRF_COOKIE, csrf, max_age=ttl, httponly=False, samesite="strict", secure=settings.cookie_secure, path="/"
    )
    return SessionResponse(csrf_token=csrf, expires_in=ttl, user=UserRead.model_validate(user))


@router.delete("/api/auth/session", status_code=204)
async def end_session(request: Request, response: Response, session: SessionDep) -> Response:
    """Sign out: the cookie's session is revoked on the server and the cookies are cleared.

    Idempotent, so it needs no credentials: without a live session it only clears the cookies.
    """
    claims = read_token(request.app.state.settings.resolved_secret_key, request.cookies.get(SESSION_COOKIE, ""))
    if claims is not None and claims.kind == "session" and claims.session_id is not None:
        await service.sign_out(session, user_id=claims.subject, session_id=claims.session_id)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    response.status_code = 204
    return response


_USER_FIELDS = tuple(UserRead.model_fields)


def _me(user: User | Caller, tenant_slug: str, tenant_name: str) -> MeRead:
    """Validated once, from the user's attributes (UserRead's fields) and the tenant's names."""
    fields = {name: getattr(user, name) for name in _USER_FIELDS}
    return MeRead.model_validate(
        {
            **fields,
            "tenant_slug": tenant_slug,
            "tenant_name": tenant_name,
            "permissions": sorted(p.value for p in permissions_for(user.roles)),
            "notifications": {"in_app": True, "email": user.notify_email, "slack": user.notify_slack},
        }
    )


@router.get("/api/me", response_model=MeRead)
async def read_me(request: Request, principal: CurrentUser) -> MeRead:
    # No request session (SessionDep): the principal lookup read the profile and the tenant's names already, in its
    # one statement, so the read opens no unit of work. A principal current_principal made always has its Caller.
    if isinstance(principal.user, Caller):
        return _me(principal.user, principal.user.tenant_slug, principal.user.tenant_name)
    database: Database = request.app.state.db
    async with database.transaction() as session:
        user = await repo.get_user(session, principal.tenant, principal.id)
        tenant = await repo.get_tenant(session, principal.tenant)
    return _me(user, tenant.slug, tenant.name)


@router.patch("/api/me", response_model=MeRead)
async def update_me(body: MeUpdate, principal: CurrentUser, session: SessionDep) -> MeRead:
    """Change your display name, name a delegate who may decide approvals for you until a date, or choose how
    you hear of approvals and requests (`notifications`: e-mail and Slack DMs on or off; the inbox always)."""
    user = await repo.get_user(session, principal.tenant, principal.id)
    user = await service.update_me(session, actor=principal, user=user, data=body)
    tenant = await repo.get_tenant(session, principal.tenant)
    return _me(user, tenant.slug, tenant.name)


@router.post("/api/auth/api-tokens", response_model=ApiTokenCreated, status_code=201)
async def create_api_token(body: ApiTokenCreate, principal: CurrentUser, session: SessionDep) -> ApiTokenCreated:
    user = await repo.get_user(session, principal.tenant, principal.id)
    token, secret = await service.create_api_token(
        session, actor=principal, user=user, name=body.name, expires_in_days=body.expires_in_days
    )
    return ApiTokenCreated.model_validate({**ApiTokenRead.model_validate(token).model_dump(), "token": secret})


@router.get("/api/auth/api-tokens", response_model=Page[ApiTokenRead])
async def list_api_tokens(
    principal: CurrentUser,
    session: SessionDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[ApiTokenRead]:
    stmt = repo.api_tokens_of(principal.tenant, principal.id)
    rows, next_cursor = await paginate(
        session, stmt, created_col=ApiToken.created_at, id_col=ApiToken.id, cursor=cursor, limit=limit
    )
    return Page(items=[ApiTokenRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.delete("/api/auth/api-tokens/{token_id}", status_code=204)
async def revoke_api_token(token_id: uuid.UUID, principal: CurrentUser, session: SessionDep) -> Response:
    token = await repo.get_api_token(session, principal.tenant, principal.id, token_id)
    await service.revoke_api_token(session, actor=principal, token=token)
    return Response(status_code=204)
