"""Sign-in with email, password and tenant slug, with failures throttled per (account, client address).

Every failure answers the same 401, whether or not the tenant or user exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.identity import repository as repo
from tenantplane.identity import throttle
from tenantplane.identity.auth import Principal
from tenantplane.identity.models import PlatformAdmin, Tenant, User
from tenantplane.identity.oidc.service import password_sign_in_allowed
from tenantplane.identity.security import verify_password
from tenantplane.kit.db import Database
from tenantplane.kit.errors import Unauthorized
from tenantplane.settings import Settings

BAD_CREDENTIALS = "Invalid tenant, email or password."
SSO_ONLY = "This tenant signs in with single sign-on; passwords are for administrators only."


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    tenant: Tenant | None
    user: User | None
    generation: int


async def sign_in(
    session: AsyncSession,
    database: Database,
    settings: Settings,
    *,
    tenant_slug: str | None,
    email: str,
    password: str,
    address: str,
) -> SignedIn:
    """The signed-in principal; 429 while this account is locked for this client address, 401 on failure."""
    key = throttle.account_key(tenant_slug, email)
    await throttle.check_not_locked(session, key, address)
    signed_in = await (
        _platform(session, email, password)
        if tenant_slug is None
        else _tenant_user(session, tenant_slug, email, password)
    )
    if signed_in is None:
        await throttle.record_failure(database, key, address, settings)
        raise Unauthorized(BAD_CREDENTIALS)
    await throttle.forget_failures(session, key, address)
    await record_event(
        session,
        actor=signed_in.principal,
        action="auth.signed_in",
        object_type=signed_in.principal.kind,
        object_id=signed_in.principal.id,
    )
    return signed_in


async def _tenant_user(session: AsyncSession, slug: str, email: str, password: str) -> SignedIn | None:
    tenant = await repo.find_tenant(session, slug)
    user = await repo.find_user_by_email(session, tenant.id, email) if tenant else None
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or tenant is None or user is None or not user.is_active or not tenant.is_active:
        return None
    if not await password_sign_in_allowed(session, tenant.id, user.roles):
        raise Unauthorized(SSO_ONLY)  # the password was right, so this tells a guesser nothing
    principal = Principal(
        kind="user",
        id=user.id,
        label=user.email,
        tenant_id=tenant.id,
        roles=frozenset(user.roles),
        via="password",
        user=user,
    )
    return SignedIn(principal=principal, tenant=tenant, user=user, generation=user.token_generation)


async def _platform(session: AsyncSession, email: str, password: str) -> SignedIn | None:
    admin = await session.scalar(select(PlatformAdmin).where(PlatformAdmin.email == email.lower()))
    if not verify_password(admin.password_hash if admin else None, password) or admin is None:
        return None
    if not admin.is_active:
        return None
    principal = Principal(
        kind="platform_admin", id=admin.id, label=admin.email, tenant_id=None, roles=frozenset(), via="password"
    )
    return SignedIn(principal=principal, tenant=None, user=None, generation=0)
