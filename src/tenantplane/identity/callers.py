"""The principal lookup: one Core statement per credential reads the user, its tenant and the credential's state.

No ORM object is built and nothing is cached, so every request sees revocation, disabling and role changes at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.identity.models import ApiToken, PlatformAdmin, Tenant, User
from tenantplane.identity.sessions import is_live

_users = User.__table__.c
_tenants = Tenant.__table__.c
_tokens = ApiToken.__table__.c
_admins = PlatformAdmin.__table__.c

# What the caller's profile shows (GET /api/me), plus what the checks need.
_PROFILE = (
    _users.id,
    _users.tenant_id,
    _users.email,
    _users.display_name,
    _users.roles,
    _users.manager_id,
    _users.is_active,
    _users.delegate_id,
    _users.delegate_until,
    _users.created_at,
    _users.updated_at,
    _users.token_generation,
    _tenants.is_active.label("tenant_active"),
    _tenants.slug.label("tenant_slug"),
    _tenants.name.label("tenant_name"),
)


class PrincipalUser(Protocol):
    """What a tenant principal knows of its user: the ORM `User`, or the `Caller` the lookup read."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def tenant_id(self) -> uuid.UUID: ...
    @property
    def email(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def roles(self) -> Sequence[str]: ...


@dataclass(frozen=True, slots=True)
class Caller:
    """The signed-in user's row and tenant as the principal lookup read them (read-only; load `User` to change it)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    display_name: str
    roles: list[str]
    manager_id: uuid.UUID | None
    is_active: bool
    delegate_id: uuid.UUID | None
    delegate_until: datetime | None
    created_at: datetime
    updated_at: datetime
    token_generation: int
    tenant_active: bool
    tenant_slug: str
    tenant_name: str

    @classmethod
    def of(cls, row: Row[Any]) -> Caller:
        found = row._mapping
        return cls(**{name: found[name] for name in _CALLER_FIELDS})


_CALLER_FIELDS = tuple(field.name for field in fields(Caller))


# Built once with bound parameters: SQLAlchemy keys its compiled cache on the statement, so a request pays
# neither for building nor for hashing the statement, only for running it.
_BY_USER = select(*_PROFILE).join_from(User.__table__, Tenant.__table__, _tenants.id == _users.tenant_id)
_BY_USER_ID = _BY_USER.where(_users.id == bindparam("user_id"))
# A session cookie's user, with the cookie's server-side session checked in the same statement (one more
# primary-key probe, no round trip).
_BY_SESSION = _BY_USER_ID.add_columns(is_live(bindparam("session_id")).label("session_live"))
_BY_API_TOKEN = (
    select(
        _tokens.id.label("token_id"),
        _tokens.tenant_id.label("token_tenant_id"),
        _tokens.expires_at,
        _tokens.last_used_at,
        _tokens.revoked_at,
        *_PROFILE,
    )
    .join_from(ApiToken.__table__, User.__table__, _users.id == _tokens.user_id)
    .join(Tenant.__table__, _tenants.id == _users.tenant_id)
    .where(_tokens.secret_hash == bindparam("secret_hash"))
)
_PLATFORM_ADMIN = select(_admins.id, _admins.email, _admins.is_active).where(_admins.id == bindparam("admin_id"))


async def by_user_id(session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID | None) -> Row[Any] | None:
    """A bearer access token's or a session cookie's user (with `session_live` for a cookie's session)."""
    if session_id is None:
        return (await session.execute(_BY_USER_ID, {"user_id": user_id})).one_or_none()
    return (await session.execute(_BY_SESSION, {"user_id": user_id, "session_id": session_id})).one_or_none()


async def by_api_token(session: AsyncSession, secret_hash: str) -> Row[Any] | None:
    """A personal API token with its user and tenant (an inner join: a token always has its user)."""
    return (await session.execute(_BY_API_TOKEN, {"secret_hash": secret_hash})).one_or_none()


async def platform_admin(session: AsyncSession, admin_id: uuid.UUID) -> Row[Any] | None:
    return (await session.execute(_PLATFORM_ADMIN, {"admin_id": admin_id})).one_or_none()
