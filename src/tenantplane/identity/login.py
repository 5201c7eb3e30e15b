"""Sign-in with email, password and tenant slug, with per-account throttling of failures.

Every failure answers the same 401, whether or not the tenant or user exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.identity import repository as repo
from tenantplane.identity.auth import Principal
from tenantplane.identity.models import LoginThrottle, PlatformAdmin, Tenant, User
from tenantplane.identity.security import digest, verify_password
from tenantplane.kit.db import Database
from tenantplane.kit.errors import TooManyRequests, Unauthorized
from tenantplane.settings import Settings

BAD_CREDENTIALS = "Invalid tenant, email or password."


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    tenant: Tenant | None
    user: User | None
    generation: int


async def _check_not_locked(session: AsyncSession, key: str) -> None:
    row = await session.get(LoginThrottle, key)
    now = datetime.now(UTC)
    if row is not None and row.locked_until is not None and row.locked_until > now:
        raise TooManyRequests(
            "Too many failed sign-ins; try again later.",
            retry_after=max(1, int((row.locked_until - now).total_seconds())),
        )


async def _record_failure(database: Database, key: str, settings: Settings) -> None:
    """Count a failure in its own transaction: the request's own transaction is about to roll back."""
    window = timedelta(seconds=settings.login_lockout_seconds)
    stale = LoginThrottle.window_started_at < func.now() - window
    failures = case((stale, 1), else_=LoginThrottle.failures + 1)
    stmt = insert(LoginThrottle).values(key=key, failures=1, window_started_at=func.now())
    stmt = stmt.on_conflict_do_update(
        index_elements=[LoginThrottle.key],
        set_={
            "failures": failures,
            "window_started_at": case((stale, func.now()), else_=LoginThrottle.window_started_at),
            "locked_until": case((failures >= settings.login_max_failures, func.now() + window), else_=None),
        },
    )
    async with database.transaction() as session:
        await session.execute(stmt)


async def sign_in(
    session: AsyncSession,
    database: Database,
    settings: Settings,
    *,
    tenant_slug: str | None,
    email: str,
    password: str,
) -> SignedIn:
    key = digest(f"{tenant_slug or ''}\x00{email.lower()}")
    await _check_not_locked(session, key)
    signed_in = await (
        _platform(session, email, password)
        if tenant_slug is None
        else _tenant_user(session, tenant_slug, email, password)
    )
    if signed_in is None:
        await _record_failure(database, key, settings)
        raise Unauthorized(BAD_CREDENTIALS)
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
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
