"""Migrations: empty → head → base → head on a fresh database, and the models match the schema (no drift)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from psycopg import sql
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

import tenantplane.models  # noqa: F401 - registers every table
from tenantplane.kit.db import Base, async_url
from tenantplane.kit.migrate import alembic_config, head_revisions


@pytest.fixture
def empty_database(database_url: str) -> Iterator[str]:
    name = f"tp_migr_{uuid.uuid4().hex[:10]}"
    server = make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def test_upgrade_downgrade_upgrade_and_no_drift(empty_database: str) -> None:
    config = alembic_config(empty_database)
    command.upgrade(config, "heads")
    command.downgrade(config, "base")
    engine = create_engine(async_url(empty_database))
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    command.upgrade(config, "heads")
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert frozenset(context.get_current_heads()) == head_revisions()
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"
