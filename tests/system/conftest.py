"""Fixtures of the system tests: an empty database of their own (for migrations run from nothing), and a PostgreSQL
cluster of their own that a test may stop and start (`tests/support/pgcluster.py`)."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from tests.support.pgcluster import ScratchCluster


@pytest.fixture
def empty_database(database_url: str) -> Iterator[str]:
    """A fresh database without any table on the test server, dropped afterwards."""
    name = f"tp_migr_{uuid.uuid4().hex[:10]}"
    server = make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def cluster() -> Iterator[ScratchCluster]:
    """A PostgreSQL cluster of the test's own (initdb + pg_ctl on a free port), started; destroyed afterwards."""
    found = ScratchCluster(Path(tempfile.mkdtemp(prefix="tp-pg-")))
    found.init()
    found.start()
    try:
        yield found
    finally:
        found.destroy()
