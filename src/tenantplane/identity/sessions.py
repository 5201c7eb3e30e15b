"""Server-side web sessions: a row per sign-in whose id rides in the signed cookie.

Signing out revokes that row; a password change or disabling the user revokes all of the user's rows.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import BindParameter, ColumnElement, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.identity.models import User, UserSession


async def start_session(session: AsyncSession, *, user: User, ttl_seconds: int) -> UserSession:
    """A new live session for `user`; the user's expired and revoked rows are swept away on the way."""
    await session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id,
            or_(UserSession.expires_at <= func.now(), UserSession.revoked_at.is_not(None)),
        )
    )
    row = UserSession(
        tenant_id=user.tenant_id, user_id=user.id, expires_at=datetime.now(UTC) + timedelta(seconds=ttl_seconds)
    )
    session.add(row)
    await session.flush()
    return row


def is_live(session_id: uuid.UUID | BindParameter[uuid.UUID]) -> ColumnElement[bool]:
    """An EXISTS the principal lookup adds to its user query, so a cookie costs no extra round trip."""
    # Table columns, not ORM attributes: the lookup is a plain Core statement.
    sessions, users = UserSession.__table__.c, User.__table__.c
    return exists(
        select(sessions.id).where(
            sessions.id == session_id,
            sessions.user_id == users.id,
            sessions.revoked_at.is_(None),
            sessions.expires_at > func.now(),
        )
    )


async def end_session(session: AsyncSession, *, session_id: uuid.UUID, user_id: uuid.UUID) -> uuid.UUID | None:
    """Revoke one live session of `user_id`; its tenant id, or None when there was nothing to revoke."""
    tenant_id: uuid.UUID | None = await session.scalar(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=func.now())
        .returning(UserSession.tenant_id)
    )
    return tenant_id


async def end_all_sessions(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    await session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
