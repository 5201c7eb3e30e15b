"""Keyset (cursor) pagination over (created_at, id), newest first.

Cursors are opaque to clients; one this API did not hand out is a 400 problem, never a 500.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

import pydantic_core
from sqlalchemy import Select, literal, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from tenantplane.kit.errors import BadCursor

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_CHARS = 200  # ours are about 100: a longer one was not handed out here


class Keyed(Protocol):
    id: Any
    created_at: Any


M = TypeVar("M", bound=Keyed)


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The (created_at, id) a cursor stands for; BadCursor (400) for anything `encode_cursor` did not make."""
    if len(cursor) > MAX_CURSOR_CHARS:
        raise BadCursor()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        # pydantic-core, not json: a cursor of 1,500 '[' must not reach Python's recursive parser.
        value = pydantic_core.from_json(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
            raise BadCursor()
        created_at = datetime.fromisoformat(value[0])
        if created_at.tzinfo is None:
            raise BadCursor()
        return created_at, uuid.UUID(value[1])
    except ValueError as exc:  # binascii.Error and UnicodeEncodeError are ValueErrors too
        raise BadCursor() from exc


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
