"""Async SQLAlchemy engine, sessions and the typed declarative base every model derives from.

The request (or job) wrapper owns the transaction: services flush, never commit.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, ClassVar

import psycopg
from fastapi import Depends, Request
from psycopg.rows import namedtuple_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from sqlalchemy import DateTime, ForeignKey, MetaData, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        uuid.UUID: UUID(as_uuid=True),
    }


class IdMixin:
    """UUID primary key plus creation and update times (fetched back by RETURNING, never lazily)."""

    __mapper_args__: ClassVar[dict[str, Any]] = {"eager_defaults": True}

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp(), onupdate=func.clock_timestamp())


class TenantOwned(IdMixin):
    """A row that belongs to exactly one tenant and is invisible to every other."""

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)


def async_url(url: str) -> str:
    """Normalise any postgres URL to the psycopg 3 async driver."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError("TENANTPLANE_DATABASE_URL must be a postgresql:// URL")


LOOKUP_APPLICATION = "tenantplane-lookups"  # pg_stat_activity's name for the lookup pool's connections
LOOKUP_WAIT_SECONDS = 5.0  # with the database gone a request fails after this, not after the pool's default 30 s


class Database:
    """The engine and session factory of one process, plus a small autocommit pool for read-only lookups."""

    def __init__(self, url: str, *, pool_size: int = 10, lookup_pool_size: int = 4) -> None:
        self.url = async_url(url)
        # Up to twice pool_size connections, each kept once opened: with an overflow (closed when it comes back) a
        # steady load just above pool_size opened and closed a connection, a few ms each, for every other request.
        self.engine: AsyncEngine = create_async_engine(
            self.url, pool_size=2 * pool_size, max_overflow=0, pool_pre_ping=True
        )
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        self._lookup_pool_size = lookup_pool_size
        self._lookups: AsyncConnectionPool | None = None
        self._lookups_opening = asyncio.Lock()
        # One slot per pool connection: a lookup waits here, where waiting is cheap, and so always finds an idle
        # connection in the pool. The pool's own queue (a timer and a client object per waiter) cost a third of a
        # lookup when every request of a busy process queued there.
        self._lookup_slots = asyncio.Semaphore(lookup_pool_size)

    async def lookup(self, sql: str, params: Mapping[str, Any]) -> Any | None:
        """The first row (attributes by column name) of one read-only statement, or None.

        Run in autocommit on a connection of its own: one round trip and no transaction, for a read that must see
        what is committed but need not be part of the caller's unit of work (who is calling, on every request).
        When a connection broke (the server restarted), the pool's idle ones are checked and the statement tried once
        more on a live one, so a restart costs no failed request.
        """
        pool = self._lookups or await self._open_lookups()
        slots = self._lookup_slots
        if slots.locked():  # as long as the pool would have let it wait for a connection
            try:
                async with asyncio.timeout(LOOKUP_WAIT_SECONDS):
                    await slots.acquire()
            except TimeoutError:
                raise PoolTimeout(f"no lookup connection within {LOOKUP_WAIT_SECONDS} s") from None
        else:
            await slots.acquire()
        try:
            for attempt in (1, 2):
                try:
                    async with pool.connection() as conn:
                        cursor = await conn.execute(sql, params)
                        return await cursor.fetchone()
                except psycopg.OperationalError:
                    if attempt == 2:
                        raise
                    await pool.check()  # after a restart every idle connection is dead: drop them all, not one
        finally:
            slots.release()
        return None  # pragma: no cover - the loop returns or raises

    async def _open_lookups(self) -> AsyncConnectionPool:
        async with self._lookups_opening:
            if self._lookups is None:
                pool = AsyncConnectionPool(
                    self.libpq_url,
                    min_size=1,
                    max_size=self._lookup_pool_size,
                    timeout=LOOKUP_WAIT_SECONDS,
                    kwargs={"autocommit": True, "row_factory": namedtuple_row, "application_name": LOOKUP_APPLICATION},
                    open=False,
                )
                await pool.open()
                self._lookups = pool
            return self._lookups

    @property
    def libpq_url(self) -> str:
        """The URL for a plain psycopg connection (LISTEN needs one of its own)."""
        return self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit when the block ends normally, roll back on any exception."""
        async with self.sessionmaker() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        if self._lookups is not None:
            await self._lookups.close()
            self._lookups = None
        await self.engine.dispose()


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work, committed after the handler returns and before the response is sent."""
    database: Database = request.app.state.db
    async with database.transaction() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]
