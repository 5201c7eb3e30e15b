"""Keyset (cursor) pagination over (created_at, id), newest first.

Cursors are opaque to clients; a tampered cursor is a 422, never a 500.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, literal, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from tenantplane.kit.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Keyed(Protocol):
    id: Any
    created_at: Any


M = TypeVar("M", bound=Keyed)


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, row_id = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(created_at), uuid.UUID(row_id)
    except (ValueError, TypeError) as exc:
        raise ValidationFailed.field("cursor", "is not a cursor this API returned") from exc


async def paginate(
    session: AsyncSession,
    stmt: Select[tuple[M]],
    *,
    created_col: InstrumentedAttribute[datetime],
    id_col: InstrumentedAttribute[uuid.UUID],
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[M], str | None]:
    """One page of `stmt` newest first, and the cursor of the next page (None on the last)."""
    if cursor:
        at, row_id = decode_cursor(cursor)
        stmt = stmt.where(tuple_(created_col, id_col) < tuple_(literal(at), literal(row_id)))
    stmt = stmt.order_by(created_col.desc(), id_col.desc()).limit(limit + 1)
    rows = (await session.scalars(stmt)).all()
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last.created_at, last.id)
