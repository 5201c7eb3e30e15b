"""HTTP API of single sign-on: the admin's provider settings and connection test, and the public sign-in routes
(what a tenant's sign-in page offers, the redirect to the IdP, the callback that starts our session).
"""

from __future__ import annotations

import contextlib
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.identity import repository as repo
from tenantplane.identity.auth import Principal, require
from tenantplane.identity.auth_endpoints import start_web_session
from tenantplane.identity.models import Tenant
from tenantplane.identity.oidc import flow, service
from tenantplane.identity.oidc.models import OidcProvider
from tenantplane.identity.oidc.schemas import (
    ConnectionTest,
    ProviderRead,
    ProviderWrite,
    SignInOptions,
    SingleSignOn,
)
from tenantplane.identity.oidc.verify import Egress, OidcError
from tenantplane.identity.permissions import Permission
from tenantplane.kit.crypto import SecretUnreadable
from tenantplane.kit.db import Database, SessionDep
from tenantplane.kit.openapi import problems
from tenantplane.settings import Settings

router = APIRouter(tags=["identity-provider"])
Admin = Annotated[Principal, Depends(require(Permission.USERS_MANAGE))]
SlugText = Annotated[str, Query(min_length=1, max_length=63)]
REDIRECT: dict[int | str, dict[str, Any]] = {
    302: {"description": "A redirect to the IdP, or to the app (signed in, or with `sso_error`)."}
}
FLOW_PATH = "/api/auth/oidc/"


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _base_url(request: Request) -> str:
    settings = _settings(request)
    return settings.public_url or str(request.base_url).rstrip("/")


def _redirect_uri(request: Request, slug: str) -> str:
    return f"{_base_url(request)}{FLOW_PATH}{slug}/callback"


def _egress(request: Request, tenant: Tenant) -> Egress:
    return Egress.of(_settings(request).allowed_egress_hosts, tenant.egress_allow_list)


def _read(request: Request, provider: OidcProvider, slug: str) -> ProviderRead:
    return ProviderRead.model_validate(
        {
            **{name: getattr(provider, name) for name in ProviderRead.model_fields if hasattr(provider, name)},
            "has_client_secret": provider.client_secret_ciphertext is not None,
            "redirect_uri": _redirect_uri(request, slug),
        }
    )


@router.get("/api/identity-provider", response_model=ProviderRead, responses=problems(404))
async def read_provider(request: Request, principal: Admin, session: SessionDep) -> ProviderRead:
    provider = await service.get_provider(session, principal.tenant)
    tenant = await repo.get_tenant(session, principal.tenant)
    return _read(request, provider, tenant.slug)


@router.put("/api/identity-provider", response_model=ProviderRead)
async def put_provider(request: Request, body: ProviderWrite, principal: Admin, session: SessionDep) -> ProviderRead:
    """Create or replace the tenant's identity provider; the client secret is write-only (omit it to keep it)."""
    provider = await service.put_provider(
        session, actor=principal, data=body, secret_key=_settings(request).resolved_secret_key
    )
    tenant = await repo.get_tenant(session, principal.tenant)
    return _read(request, provider, tenant.slug)


@router.delete("/api/identity-provider", status_code=204, responses=problems(404))
async def delete_provider(principal: Admin, session: SessionDep) -> Response:
    await service.delete_provider(session, actor=principal)
    return Response(status_code=204)


@router.post("/api/identity-provider/test", response_model=ConnectionTest, responses=problems(404))
async def test_provider(request: Request, principal: Admin, session: SessionDep) -> ConnectionTest:
    """Fetch the discovery document and the keys now, through the egress guard; report what was found or why not."""
    provider = await service.get_provider(session, principal.tenant)
    tenant = await repo.get_tenant(session, principal.tenant)
    try:
        discovery, key_ids = await flow.check_connection(provider, egress=_egress(request, tenant))
    except OidcError as error:
        return ConnectionTest(ok=False, problem=error.detail)
    problem = None if key_ids else "The IdP publishes no signing keys."
    return ConnectionTest(
        ok=problem is None,
        problem=problem,
        issuer=discovery.issuer,
        authorization_endpoint=discovery.authorization_endpoint,
        token_endpoint=discovery.token_endpoint,
        jwks_uri=discovery.jwks_uri,
        key_ids=key_ids,
    )


async def _configured(session: AsyncSession, slug: str) -> tuple[Tenant, OidcProvider]:
    tenant = await repo.find_tenant(session, slug)
    provider = await service.find_provider(session, tenant.id) if tenant is not None and tenant.is_active else None
    if tenant is None or provider is None:
        raise OidcError("not_configured", "This tenant has no single sign-on.")
    return tenant, provider


@router.get("/api/auth/providers", response_model=SignInOptions)
async def sign_in_options(session: SessionDep, tenant: SlugText) -> SignInOptions:
    """What the sign-in page of a tenant shows: its single sign-on button, and whether password sign-in is on."""
    try:
        _, provider = await _configured(session, tenant)
    except OidcError:
        return SignInOptions(tenant=tenant, sso=None, password_sign_in=True)
    sso = SingleSignOn(name=provider.display_name, login_url=f"{FLOW_PATH}{tenant}/login")
    return SignInOptions(tenant=tenant, sso=sso, password_sign_in=provider.password_sign_in)


def _to_sign_in(request: Request, slug: str, error: OidcError) -> RedirectResponse:
    query = urlencode({"tenant": slug, "sso_error": error.reason, "detail": error.detail[:300]})
    response = RedirectResponse(f"{_base_url(request)}/sign-in?{query}", status_code=302)
    response.delete_cookie(flow.FLOW_COOKIE, path=FLOW_PATH)
    return response


@router.get("/api/auth/oidc/{tenant_slug}/login", status_code=302, response_class=RedirectResponse, responses=REDIRECT)
async def oidc_login(request: Request, tenant_slug: str, session: SessionDep) -> RedirectResponse:
    """Start single sign-on: redirect to the tenant's IdP (authorization code with PKCE, state and nonce)."""
    try:
        tenant, provider = await _configured(session, tenant_slug)
        url, pending = await flow.start(
            provider,
            tenant=tenant.slug,
            redirect_uri=_redirect_uri(request, tenant.slug),
            egress=_egress(request, tenant),
        )
    except OidcError as error:
        return _to_sign_in(request, tenant_slug, error)
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(
        flow.FLOW_COOKIE,
        pending.seal(_settings(request).resolved_secret_key),
        max_age=flow.FLOW_SECONDS,
        httponly=True,
        samesite="lax",  # the IdP's redirect back is a top-level GET from another site
        secure=_settings(request).cookie_secure,
        path=FLOW_PATH,
    )
    return response


@router.get(
    "/api/auth/oidc/{tenant_slug}/callback", status_code=302, response_class=RedirectResponse, responses=REDIRECT
)
async def oidc_callback(
    request: Request,
    tenant_slug: str,
    session: SessionDep,
    code: Annotated[str | None, Query(max_length=4096)] = None,
    state: Annotated[str | None, Query(max_length=1024)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
    error_description: Annotated[str | None, Query(max_length=1000)] = None,
) -> RedirectResponse:
    """Finish single sign-on: exchange the code, verify the ID token, find or create the user, start our session.

    Every refusal redirects to the sign-in page with `sso_error` (unknown_user, domain_not_allowed, bad_token, …).
    """
    settings = _settings(request)
    pending: flow.PendingSignIn | None = None
    try:
        cookie = request.cookies.get(flow.FLOW_COOKIE)
        if error is not None:  # the IdP's refusal is reported as such, whether or not it carries our state
            with contextlib.suppress(OidcError):
                pending = flow.PendingSignIn.unseal(
                    settings.resolved_secret_key, cookie, tenant=tenant_slug, state=state
                )
            raise OidcError("idp_refused", f"The IdP answered {error}: {error_description or 'no description'}.")
        pending = flow.PendingSignIn.unseal(settings.resolved_secret_key, cookie, tenant=tenant_slug, state=state)
        if not code:
            raise OidcError("idp_refused", "The IdP sent no authorization code.")
        tenant, provider = await _configured(session, tenant_slug)
        try:
            secret = service.client_secret(provider, settings.resolved_secret_key)
        except SecretUnreadable as unreadable:
            raise OidcError(
                "idp_misconfigured", "The stored client secret cannot be read; save it again."
            ) from unreadable
        claims = await flow.finish(
            provider,
            secret=secret,
            pending=pending,
            code=code,
            redirect_uri=_redirect_uri(request, tenant.slug),
            egress=_egress(request, tenant),
        )
        user = await service.sign_in_with_claims(session, tenant=tenant, provider=provider, claims=claims)
    except OidcError as refused:
        await session.rollback()  # a refused sign-in leaves nothing behind (no link, no user)...
        if pending is not None:  # ...but the audit log: a sign-in our own sign-in page started was refused
            await _audit_refusal(request.app.state.db, tenant_slug, refused)
        return _to_sign_in(request, tenant_slug, refused)
    response = RedirectResponse(f"{_base_url(request)}/", status_code=302)
    await start_web_session(session, settings, response, user=user, generation=user.token_generation)
    response.delete_cookie(flow.FLOW_COOKIE, path=FLOW_PATH)
    return response


async def _audit_refusal(database: Database, slug: str, refused: OidcError) -> None:
    """`auth.sso_refused` in the tenant's audit log, in a transaction of its own (the request's was rolled back).
    Only for callbacks carrying a valid flow cookie of ours, so a stream of forged callbacks cannot fill the log."""
    async with database.transaction() as session:
        tenant = await repo.find_tenant(session, slug)
        if tenant is None:
            return
        await record_event(
            session,
            actor=None,
            action="auth.sso_refused",
            object_type="tenant",
            object_id=tenant.id,
            tenant_id=tenant.id,
            summary={"reason": refused.reason, "detail": refused.detail[:300]},
        )
