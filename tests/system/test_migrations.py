"""Migrations: empty → head → base → head on a fresh database, the models match the schema (no drift), and
backfills fill existing rows in."""

from __future__ import annotations

from typing import Any

import psycopg
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from psycopg.types.json import Jsonb
from sqlalchemy import create_engine, inspect

import tenantplane.models  # noqa: F401 - registers every table
from tenantplane.kit.db import Base, async_url
from tenantplane.kit.migrate import alembic_config, head_revisions


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


def _seed_before_causes(conn: psycopg.Connection[Any]) -> None:
    """Rows as they were before executions recorded who caused them: one per way an execution starts."""
    t, a, b, c = (f"00000000-0000-0000-0000-0000000000{n}" for n in ("01", "a1", "a2", "a3"))
    conn.execute("INSERT INTO tenants (id, slug, name) VALUES (%s, 't', 'T')", (t,))
    for user, email in ((a, "a@x"), (b, "b@x"), (c, "c@x")):
        conn.execute(
            "INSERT INTO users (id, tenant_id, email, display_name) VALUES (%s, %s, %s, 'U')", (user, t, email)
        )
    conn.execute("INSERT INTO workflows (id, tenant_id, name) VALUES (%s, %s, 'w')", (_id("f1"), t))
    for trigger, kind in (("b1", "schedule"), ("b2", "webhook"), ("b3", "itsm_event")):
        conn.execute(
            "INSERT INTO workflow_triggers (id, tenant_id, workflow_id, kind, created_by) VALUES (%s, %s, %s, %s, %s)",
            (_id(trigger), t, _id("f1"), kind, a),
        )
    conn.execute("INSERT INTO catalog_items (id, tenant_id, name) VALUES (%s, %s, 'i')", (_id("c1"), t))
    conn.execute(
        "INSERT INTO service_requests (id, tenant_id, number, catalog_item_id, requester_id, requested_for_id, status)"
        " VALUES (%s, %s, 'REQ1', %s, %s, %s, 'in_fulfillment')",
        (_id("d1"), t, _id("c1"), b, c),
    )
    runs = (
        ("e1", b, None, None),
        ("e2", None, "trigger", _id("b1")),
        ("e3", None, "trigger", _id("b2")),
        ("e4", None, "trigger", _id("b3")),
        ("e5", b, "service_request", _id("d1")),
    )
    for run, starter, origin_type, origin_id in runs:
        conn.execute(
            "INSERT INTO executions (id, tenant_id, kind, started_by, origin_type, origin_id)"
            " VALUES (%s, %s, 'workflow', %s, %s, %s)",
            (_id(run), t, starter, origin_type, origin_id),
        )
    context = {"kind": "itsm_event", "request": {"requester_id": b, "requested_for_id": c}}
    conn.execute(
        "INSERT INTO automation_runs (execution_id, tenant_id, state, trigger) VALUES (%s, %s, '{}', %s)",
        (_id("e4"), t, Jsonb(context)),
    )
    conn.execute(
        "INSERT INTO step_runs (id, tenant_id, execution_id, position, name, type)"
        " VALUES (%s, %s, %s, 0, 's', 'runbook')",
        (_id("51"), t, _id("e4")),
    )
    conn.execute(
        "INSERT INTO executions (id, tenant_id, kind, origin_type, origin_id)"
        " VALUES (%s, %s, 'workflow', 'workflow_step', %s)",
        (_id("e6"), t, _id("51")),
    )
    conn.execute("INSERT INTO approval_definitions (id, tenant_id, name) VALUES (%s, %s, 'ladder')", (_id("71"), t))
    conn.execute(
        "INSERT INTO approval_instances (id, tenant_id, definition_id, definition_version, record_type, record_id,"
        " requester_id, state) VALUES (%s, %s, %s, 1, 'service_request', %s, %s, %s)",
        (_id("81"), t, _id("71"), _id("d1"), b, Jsonb({"schema": 1, "requester_id": b})),
    )
    conn.execute(
        "INSERT INTO approval_gates (id, tenant_id, execution_id, step_id, attempt, approvers, eligible, min_approvals)"
        " VALUES (%s, %s, %s, 'g', 1, '[]', '[]', 1)",
        (_id("61"), t, _id("e4")),
    )


def _id(suffix: str) -> str:
    return f"00000000-0000-0000-0000-0000000000{suffix}"


def test_migration_0012_fills_in_who_caused_existing_executions(empty_database: str) -> None:
    config = alembic_config(empty_database)
    before = ScriptDirectory.from_config(config).get_revision("0012").down_revision
    command.upgrade(config, str(before))
    with psycopg.connect(empty_database, autocommit=True) as conn:
        _seed_before_causes(conn)
    command.upgrade(config, "heads")
    with psycopg.connect(empty_database) as conn:
        rows = conn.execute("SELECT right(id::text, 2), cause, caused_by FROM executions ORDER BY id").fetchall()
        gate = conn.execute("SELECT caused_by FROM approval_gates").fetchone()
        owners = conn.execute("SELECT DISTINCT owner_id::text FROM workflow_triggers").fetchall()
        instance = conn.execute(
            "SELECT requested_for_id::text, state->>'requested_for_id' FROM approval_instances"
        ).fetchone()
    a, b, c = _id("a1"), _id("a2"), _id("a3")
    request_people = [{"user_id": b, "role": "requester"}, {"user_id": c, "role": "requested_for"}]
    assert [(run, cause, chain) for run, cause, chain in rows] == [
        ("e1", "manual", [{"user_id": b, "role": "starter"}]),
        ("e2", "schedule", [{"user_id": a, "role": "trigger_owner"}]),
        ("e3", "webhook", []),
        ("e4", "itsm_event", request_people),
        ("e5", "fulfillment", request_people),
        ("e6", "workflow_step", request_people),
    ]
    assert gate == (request_people,)
    assert owners == [(a,)]
    assert instance == (c, c)  # the request was for someone else: four-eyes and `manager` consider them


def test_migration_0029_gives_existing_request_clocks_their_requests_item(empty_database: str) -> None:
    config = alembic_config(empty_database)
    command.upgrade(config, "0028")
    t, user, item, request, change = _id("01"), _id("a1"), _id("c1"), _id("d1"), _id("d2")
    clock = (
        "INSERT INTO sla_clocks (id, tenant_id, record_type, record_id, target, clock, minutes, started_at, warn_at,"
        " due_at) VALUES (%s, %s, %s, %s, 'approval', 'wall', 60, now(), now(), now())"
    )
    with psycopg.connect(empty_database, autocommit=True) as conn:
        conn.execute("INSERT INTO tenants (id, slug, name) VALUES (%s, 't', 'T')", (t,))
        conn.execute("INSERT INTO users (id, tenant_id, email, display_name) VALUES (%s, %s, 'a@x', 'A')", (user, t))
        conn.execute("INSERT INTO catalog_items (id, tenant_id, name) VALUES (%s, %s, 'i')", (item, t))
        conn.execute(
            "INSERT INTO service_requests (id, tenant_id, number, catalog_item_id, requester_id, requested_for_id,"
            " status) VALUES (%s, %s, 'REQ1', %s, %s, %s, 'pending_approval')",
            (request, t, item, user, user),
        )
        conn.execute(clock, (_id("e1"), t, "service_request", request))
        conn.execute(clock, (_id("e2"), t, "change_request", change))
    command.upgrade(config, "0029")
    with psycopg.connect(empty_database) as conn:
        rows = conn.execute("SELECT record_type, catalog_item_id::text FROM sla_clocks ORDER BY id").fetchall()
    assert rows == [("service_request", item), ("change_request", None)]
