"""The principal lookup: one Core statement per credential reads the user, its tenant and the credential's state.

Each runs as one autocommit round trip on the database's lookup pool (`Database.lookup`), outside the request's unit
of work; no ORM object is built and nothing is cached, so every request sees what is committed — a revocation,
a disabled user or a changed role takes effect at once, in every process.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Select, bindparam, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect

from tenantplane.identity.models import ApiToken, PlatformAdmin, Tenant, User
from tenantplane.identity.sessions import is_live
from tenantplane.kit.db import Database

_users = User.__table__.c
_tenants = Tenant.__table__.c
_tokens = ApiToken.__table__.c
_admins = PlatformAdmin.__table__.c

# The users the caller stands in for as their delegate now (a probe of ix_users_delegate_id): read with the caller, so
# the inbox and deciding need no statement of their own for it.
_delegators = User.__table__.alias("delegators")
_STANDS_IN_FOR = (
    select(func.coalesce(func.array_agg(_delegators.c.id), literal_column("ARRAY[]::uuid[]")))
    .where(
        _delegators.c.tenant_id == _users.tenant_id,
        _delegators.c.delegate_id == _users.id,
        or_(_delegators.c.delegate_until.is_(None), _delegators.c.delegate_until > func.now()),
    )
    .scalar_subquery()
    .label("stands_in_for")
)

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
    _users.external_id,
    _users.managed_by,
    _users.notify_email,
    _users.notify_slack,
    _tenants.is_active.label("tenant_active"),
    _tenants.slug.label("tenant_slug"),
    _tenants.name.label("tenant_name"),
    _STANDS_IN_FOR,
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
    external_id: str | None
    managed_by: str | None
    notify_email: bool
    notify_slack: bool
    tenant_active: bool
    tenant_slug: str
    tenant_name: str
    # Whom the user stands in for as a delegate, when the lookup read them (see approvals.approvers.delegators_of).
    stands_in_for: list[uuid.UUID]

    @classmethod
    def of(cls, row: Any) -> Caller:
        """From a lookup row (a named tuple of the statement's columns)."""
        return cls(**{name: getattr(row, name) for name in _CALLER_FIELDS})


_CALLER_FIELDS = tuple(field.name for field in fields(Caller))


# Built and compiled once, with bound parameters: a request pays only for running the statement.
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


def _sql(statement: Select[Any]) -> str:
    return str(statement.compile(dialect=psycopg_dialect()))  # type: ignore[no-untyped-call]


_SQL_BY_USER_ID = _sql(_BY_USER_ID)
_SQL_BY_SESSION = _sql(_BY_SESSION)
_SQL_BY_API_TOKEN = _sql(_BY_API_TOKEN)
_SQL_PLATFORM_ADMIN = _sql(_PLATFORM_ADMIN)


async def by_user_id(database: Database, user_id: uuid.UUID, session_id: uuid.UUID | None) -> Any | None:
    """A bearer access token's or a session cookie's user (with `session_live` for a cookie's session)."""
    if session_id is None:
        return await database.lookup(_SQL_BY_USER_ID, {"user_id": user_id})
    return await database.lookup(_SQL_BY_SESSION, {"user_id": user_id, "session_id": session_id})


async def by_api_token(database: Database, secret_hash: str) -> Any | None:
    """A personal API token with its user and tenant (an inner join: a token always has its user)."""
    return await database.lookup(_SQL_BY_API_TOKEN, {"secret_hash": secret_hash})


async def platform_admin(database: Database, admin_id: uuid.UUID) -> Any | None:
    return await database.lookup(_SQL_PLATFORM_ADMIN, {"admin_id": admin_id})
