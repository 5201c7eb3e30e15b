"""Alembic environment: runs migrations synchronously over psycopg under an advisory lock.

The lock lets several processes start at once without racing on the schema.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, pool, text

import tenantplane.models  # noqa: F401 - registers every table on Base.metadata
from tenantplane.kit.db import Base, async_url

MIGRATION_LOCK = 727_000_001


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url") or async_url(os.environ["TENANTPLANE_DATABASE_URL"])
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
        try:
            context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
            connection.commit()
    engine.dispose()


run_migrations_online()
