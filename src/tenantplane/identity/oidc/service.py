"""Business rules of single sign-on: a tenant's provider settings, and who a verified ID token signs in (found by
subject or e-mail, or created just in time), with groups and manager kept as the IdP's claims say. Flush, never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.identity import repository as repo
from tenantplane.identity.auth import Principal
from tenantplane.identity.models import Group, GroupMembership, Tenant, User
from tenantplane.identity.oidc.models import OidcProvider, UserIdentity
from tenantplane.identity.oidc.schemas import ProviderWrite
from tenantplane.identity.oidc.verify import OidcError
from tenantplane.kit.crypto import decrypt, encrypt
from tenantplane.kit.errors import NotFound

CRYPTO_PURPOSE = "oidc"


async def find_provider(session: AsyncSession, tenant_id: uuid.UUID) -> OidcProvider | None:
    provider: OidcProvider | None = await session.scalar(
        select(OidcProvider).where(OidcProvider.tenant_id == tenant_id)
    )
    return provider


async def get_provider(session: AsyncSession, tenant_id: uuid.UUID) -> OidcProvider:
    provider = await find_provider(session, tenant_id)
    if provider is None:
        raise NotFound("This tenant has no identity provider.")
    return provider


async def put_provider(
    session: AsyncSession, *, actor: Principal, data: ProviderWrite, secret_key: str
) -> OidcProvider:
    """Create or replace the tenant's provider; an omitted client secret keeps the stored one."""
    provider = await find_provider(session, actor.tenant)
    created = provider is None
    if provider is None:
        provider = OidcProvider(tenant_id=actor.tenant)
        session.add(provider)
    fields = data.model_dump(exclude={"client_secret"})
    for name, value in fields.items():
        setattr(provider, name, value)
    if data.client_secret is not None:
        provider.client_secret_ciphertext = encrypt(secret_key, data.client_secret, purpose=CRYPTO_PURPOSE)
    await session.flush()
    await record_event(
        session,
        actor=actor,
        action="identity_provider.created" if created else "identity_provider.updated",
        object_type="identity_provider",
        object_id=provider.id,
        summary={**fields, "client_secret_changed": data.client_secret is not None},
    )
    return provider


async def delete_provider(session: AsyncSession, *, actor: Principal) -> None:
    provider = await get_provider(session, actor.tenant)
    await session.delete(provider)
    await session.flush()
    await record_event(
        session,
        actor=actor,
        action="identity_provider.deleted",
        object_type="identity_provider",
        object_id=provider.id,
        summary={"issuer": provider.issuer},
    )


def client_secret(provider: OidcProvider, secret_key: str) -> str | None:
    if provider.client_secret_ciphertext is None:
        return None
    return decrypt(secret_key, provider.client_secret_ciphertext, purpose=CRYPTO_PURPOSE)


async def password_sign_in_allowed(session: AsyncSession, tenant_id: uuid.UUID, roles: list[str]) -> bool:
    """False for a non-admin of a tenant whose provider turned password sign-in off (admins are the break-glass)."""
    if "admin" in roles:
        return True
    allowed = await session.scalar(select(OidcProvider.password_sign_in).where(OidcProvider.tenant_id == tenant_id))
    return allowed is None or bool(allowed)


@dataclass(frozen=True)
class MappedClaims:
    subject: str
    email: str
    display_name: str
    groups: list[str] | None  # None: no groups claim configured (memberships are left alone)
    manager_email: str | None


def _text_claim(claims: Mapping[str, Any], name: str | None) -> str | None:
    value = claims.get(name) if name else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def map_claims(provider: OidcProvider, claims: Mapping[str, Any]) -> MappedClaims:
    """Our view of the user from the ID token's claims; refuses a missing e-mail or one outside the allowed domains."""
    email = (_text_claim(claims, provider.email_claim) or "").lower()
    if "@" not in email or len(email) > 320:
        raise OidcError("no_email", f"The ID token carries no e-mail address in the claim '{provider.email_claim}'.")
    if claims.get("email_verified") is False:
        raise OidcError("email_not_verified", f"The IdP has not verified the e-mail address {email}.")
    domain = email.rsplit("@", 1)[1]
    if provider.allowed_domains and domain not in provider.allowed_domains:
        raise OidcError("domain_not_allowed", f"E-mail addresses of {domain} may not sign in to this tenant.")
    groups: list[str] | None = None
    if provider.groups_claim:
        raw = claims.get(provider.groups_claim, [])
        raw = [raw] if isinstance(raw, str) else raw
        groups = sorted({g for g in raw if isinstance(g, str) and g}) if isinstance(raw, list) else []
    manager = _text_claim(claims, provider.manager_claim)
    name = _text_claim(claims, provider.name_claim) or email.split("@")[0]
    return MappedClaims(
        subject=str(claims["sub"]),
        email=email,
        display_name=name[:200],
        groups=groups,
        manager_email=manager.lower() if manager else None,
    )


async def _linked_user(session: AsyncSession, tenant: Tenant, issuer: str, mapped: MappedClaims) -> User | None:
    """The user this IdP account is: linked by (issuer, subject), else the user with its e-mail (then linked)."""
    identity = await session.scalar(
        select(UserIdentity).where(
            UserIdentity.tenant_id == tenant.id, UserIdentity.issuer == issuer, UserIdentity.subject == mapped.subject
        )
    )
    if identity is not None:
        return await repo.get_user(session, tenant.id, identity.user_id)
    user = await repo.find_user_by_email(session, tenant.id, mapped.email)
    if user is not None:
        session.add(UserIdentity(tenant_id=tenant.id, user_id=user.id, issuer=issuer, subject=mapped.subject))
    return user


async def _create_user(session: AsyncSession, tenant: Tenant, issuer: str, mapped: MappedClaims) -> User:
    user = User(tenant_id=tenant.id, email=mapped.email, display_name=mapped.display_name, roles=[])
    session.add(user)
    await session.flush()
    session.add(UserIdentity(tenant_id=tenant.id, user_id=user.id, issuer=issuer, subject=mapped.subject))
    await record_event(
        session,
        actor=None,
        tenant_id=tenant.id,
        action="user.created",
        object_type="user",
        object_id=user.id,
        summary={"email": user.email, "display_name": user.display_name, "via": "oidc", "issuer": issuer},
    )
    return user


async def _sync_groups(session: AsyncSession, user: User, names: list[str]) -> None:
    """The user's memberships become the tenant's groups the claim names (unknown names are ignored)."""
    wanted = {g.id: g.name for g in await session.scalars(repo.groups_of(user.tenant_id).where(Group.name.in_(names)))}
    current = {
        g.id: g.name
        for g in await session.scalars(
            repo.groups_of(user.tenant_id)
            .join(GroupMembership, GroupMembership.group_id == Group.id)
            .where(GroupMembership.user_id == user.id)
        )
    }
    for group_id in wanted.keys() - current.keys():
        session.add(GroupMembership(group_id=group_id, user_id=user.id, tenant_id=user.tenant_id))
    gone = current.keys() - wanted.keys()
    if gone:
        await session.execute(
            delete(GroupMembership).where(GroupMembership.user_id == user.id, GroupMembership.group_id.in_(gone))
        )
    await session.flush()
    for action, ids, names_of in (
        ("group.member_added", wanted.keys() - current.keys(), wanted),
        ("group.member_removed", gone, current),
    ):
        for group_id in sorted(ids):
            await record_event(
                session,
                actor=None,
                tenant_id=user.tenant_id,
                action=action,
                object_type="group",
                object_id=group_id,
                summary={"user_id": user.id, "group": names_of[group_id], "via": "oidc"},
            )


async def _sync_manager(session: AsyncSession, user: User, manager_email: str) -> None:
    manager = await repo.find_user_by_email(session, user.tenant_id, manager_email)
    if manager is None or manager.id == user.id or manager.id == user.manager_id:
        return
    user.manager_id = manager.id
    await session.flush()
    await record_event(
        session,
        actor=None,
        tenant_id=user.tenant_id,
        action="user.updated",
        object_type="user",
        object_id=user.id,
        summary={"manager_id": manager.id, "via": "oidc"},
    )


async def sign_in_with_claims(
    session: AsyncSession, *, tenant: Tenant, provider: OidcProvider, claims: Mapping[str, Any]
) -> User:
    """The user a verified ID token signs in, created if the provider allows it; audited as `auth.signed_in`."""
    mapped = map_claims(provider, claims)
    user = await _linked_user(session, tenant, provider.issuer, mapped)
    if user is None:
        if not provider.jit:
            raise OidcError("unknown_user", f"There is no user {mapped.email} in this tenant.")
        user = await _create_user(session, tenant, provider.issuer, mapped)
    elif not user.is_active:
        raise OidcError("user_disabled", f"The user {mapped.email} is disabled.")
    if mapped.groups is not None:
        await _sync_groups(session, user, mapped.groups)
    if mapped.manager_email:
        await _sync_manager(session, user, mapped.manager_email)
    await session.flush()
    await record_event(
        session,
        actor=principal_of(user),
        action="auth.signed_in",
        object_type="user",
        object_id=user.id,
        summary={"via": "oidc", "issuer": provider.issuer, "subject": mapped.subject},
    )
    return user


def principal_of(user: User) -> Principal:
    return Principal(
        kind="user",
        id=user.id,
        label=user.email,
        tenant_id=user.tenant_id,
        roles=frozenset(user.roles),
        via="oidc",
        user=user,
    )
