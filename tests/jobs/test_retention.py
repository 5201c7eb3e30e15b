"""Retention: what finished more than `retention_days` ago goes (finished jobs, sent or dead deliveries, live log
chunks of finished executions, stopped workers, used or expired action links), in batches; everything live or recent
stays; one purge at a time."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import text

from tenantplane.identity.service import bootstrap
from tenantplane.jobs.retention import purge_all
from tenantplane.kit import retention
from tenantplane.kit.db import Database

OLD, RECENT = "now() - interval '40 days'", "now() - interval '2 days'"


async def _seed(db: Database) -> dict[str, uuid.UUID]:
    async with db.transaction() as session:
        tenant, _admin, _ = await bootstrap(session, slug="r", admin_email="a@r.example", admin_password="x" * 16)
    ids = {name: uuid.uuid4() for name in ("old_job", "old_dead", "recent_job", "running", "queued", "old_failed")}
    ids |= {name: uuid.uuid4() for name in ("old_execution", "recent_execution", "live_execution")}
    ids |= {name: uuid.uuid4() for name in ("old_sent", "old_queued_delivery", "recent_sent")}
    ids |= {name: uuid.uuid4() for name in ("old_used_link", "old_expired_link", "recent_used_link", "open_link")}
    ids |= {name: uuid.uuid4() for name in ("old_decided_slack", "old_dead_slack", "old_waiting_slack", "recent_slack")}
    jobs = [
        ("old_job", "succeeded", OLD),
        ("old_dead", "dead", OLD),
        ("recent_job", "succeeded", RECENT),
        ("running", "running", "NULL"),
        ("queued", "queued", "NULL"),
        ("old_failed", "failed", OLD),  # waiting for its next attempt: live
    ]
    async with db.transaction() as session:
        for name, status, finished in jobs:
            await session.execute(
                text(f"INSERT INTO jobs (id, kind, status, finished_at) VALUES (:id, 'k', :s, {finished})"),
                {"id": ids[name], "s": status},
            )
        for name, finished in (("old_execution", OLD), ("recent_execution", RECENT), ("live_execution", "NULL")):
            status = "running" if finished == "NULL" else "succeeded"
            await session.execute(
                text(
                    "INSERT INTO executions (id, tenant_id, kind, status, finished_at, job_id) "
                    f"VALUES (:id, :t, 'workflow', :s, {finished}, :job)"
                ),
                {
                    "id": ids[name],
                    "t": tenant.id,
                    "s": status,
                    "job": ids["old_job"] if name == "old_execution" else None,
                },
            )
            for seq in range(1, 6):
                await session.execute(
                    text(
                        "INSERT INTO execution_log_chunks (execution_id, seq, tenant_id, stream, text) "
                        "VALUES (:e, :seq, :t, 'stdout', 'line')"
                    ),
                    {"e": ids[name], "seq": seq, "t": tenant.id},
                )
        for name, status, at in (
            ("old_sent", "sent", OLD),
            ("old_queued_delivery", "queued", OLD),
            ("recent_sent", "sent", RECENT),
        ):
            await session.execute(
                text(
                    "INSERT INTO notification_deliveries (id, tenant_id, channel_name, channel_type, destination, "
                    "subject, body, status, created_at, updated_at) "
                    f"VALUES (:id, :t, 'c', 'in_app', 'd', 's', 'b', :s, {at}, {at})"
                ),
                {"id": ids[name], "t": tenant.id, "s": status},
            )
        # Action links: used or expired 40 days ago go; used recently, or still open, stay.
        for name, used, expires in (
            ("old_used_link", OLD, "now() + interval '1 day'"),
            ("old_expired_link", "NULL", OLD),
            ("recent_used_link", RECENT, OLD),
            ("open_link", "NULL", "now() + interval '1 day'"),
        ):
            await session.execute(
                text(
                    "INSERT INTO action_links (id, tenant_id, token_hash, subject_type, subject_id, user_id, decision, "
                    f"expires_at, used_at) VALUES (:id, :t, :h, 'gate', :id, :u, 'approved', {expires}, {used})"
                ),
                {"id": ids[name], "t": tenant.id, "h": ids[name].hex * 2, "u": _admin.id},
            )
        # Slack messages: decided (or dead) 40 days ago go; one still waiting for its decision stays, however old.
        for name, status, outcome, at in (
            ("old_decided_slack", "sent", '{"decision": "approved"}', OLD),
            ("old_dead_slack", "dead", None, OLD),
            ("old_waiting_slack", "sent", None, OLD),
            ("recent_slack", "sent", '{"decision": "rejected"}', RECENT),
        ):
            await session.execute(
                text(
                    "INSERT INTO slack_messages (id, tenant_id, user_id, subject_type, subject_id, title, body, "
                    "status, outcome, created_at, updated_at) VALUES (:id, :t, :u, 'approval_gate', :id, 't', 'b', "
                    f":s, CAST(:o AS jsonb), {at}, {at})"
                ),
                {"id": ids[name], "t": tenant.id, "u": _admin.id, "s": status, "o": outcome},
            )
        await session.execute(
            text(
                "INSERT INTO workers (id, hostname, pid, queues, concurrency, stopped_at) VALUES "
                f"('gone', 'h', 1, ARRAY['default'], 1, {OLD}), ('alive', 'h', 2, ARRAY['default'], 1, NULL)"
            )
        )
    return ids


async def _left(db: Database, query: str) -> set[str]:
    async with db.transaction() as session:
        return {str(row[0]) for row in await session.execute(text(query))}


async def test_a_purge_deletes_only_what_finished_before_the_retention(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await _seed(db)
    monkeypatch.setattr(retention, "BATCH", 2)  # several batches per rule
    deleted = await purge_all(db, 30, seconds=None)
    assert deleted == {
        "jobs": 2,
        "workers": 1,
        "notification deliveries": 1,
        "execution log chunks": 5,
        "action links": 2,
        "slack messages": 2,
    }
    jobs = await _left(db, "SELECT id FROM jobs")
    assert jobs == {str(ids[n]) for n in ("recent_job", "running", "queued", "old_failed")}
    chunks = await _left(db, "SELECT DISTINCT execution_id FROM execution_log_chunks")
    assert chunks == {str(ids["recent_execution"]), str(ids["live_execution"])}
    executions = await _left(db, "SELECT id FROM executions")
    assert len(executions) == 3, "executions themselves are never purged"
    assert await _left(db, f"SELECT job_id FROM executions WHERE id = '{ids['old_execution']}'") == {"None"}
    deliveries = await _left(db, "SELECT id FROM notification_deliveries")
    assert deliveries == {str(ids["old_queued_delivery"]), str(ids["recent_sent"])}
    assert await _left(db, "SELECT id FROM workers") == {"alive"}
    links = await _left(db, "SELECT id FROM action_links")
    assert links == {str(ids["recent_used_link"]), str(ids["open_link"])}
    slack = await _left(db, "SELECT id FROM slack_messages")
    assert slack == {str(ids["old_waiting_slack"]), str(ids["recent_slack"])}
    assert await purge_all(db, 30, seconds=None) == dict.fromkeys(deleted, 0), "a second purge finds nothing"
    assert await purge_all(db, 0, seconds=None) is None, "0 keeps everything"


async def test_one_purge_at_a_time(db: Database) -> None:
    await _seed(db)
    async with db.engine.connect() as holder:
        await holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": retention._LOCK})
        assert await purge_all(db, 30, seconds=None) is None
        await holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": retention._LOCK})
    assert (await purge_all(db, 30, seconds=None) or {})["jobs"] == 2


async def test_the_purge_command_runs_the_rules_to_the_end(db: Database, clean_database: str) -> None:
    await _seed(db)
    env = {**os.environ, "TENANTPLANE_DATABASE_URL": clean_database, "TENANTPLANE_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "tenantplane.cli", "purge", "--days", "30"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "2 jobs" in done.stdout
    assert "5 execution log chunks" in done.stdout
    assert "jobs: 2 deleted" in done.stderr, "progress goes to stderr"
    assert await _left(db, "SELECT count(*) FROM jobs") == {"4"}
