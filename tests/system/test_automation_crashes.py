"""Real `tenantplane worker` processes SIGKILLed in the middle of a workflow execution: a new worker finishes
the execution, no step runs twice per attempt, and a delay step is never cut short by the crash."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tenantplane.automation.definitions.schemas import WorkflowWrite
from tenantplane.automation.definitions.service import create_workflow
from tenantplane.automation.runs.service import execute_workflow
from tenantplane.identity.auth import Principal
from tenantplane.identity.service import bootstrap
from tenantplane.kit.db import Database
from tenantplane.runbooks.schemas import RunbookWrite
from tenantplane.runbooks.service import create_runbook
from tests.conftest import RUNBOOK_EXPOSED_PATHS, shared_with_runbooks

pytestmark = pytest.mark.system
ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "test-secret-key-" + "x" * 32
FINISHED = ("succeeded", "failed", "rejected", "cancelled", "timed_out")


def _worker(url: str, data_dir: Path, *imports: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TENANTPLANE_DATABASE_URL": url,
        "TENANTPLANE_SECRET_KEY": SECRET_KEY,
        "TENANTPLANE_DATA_DIR": str(data_dir),
        "TENANTPLANE_LOG_LEVEL": "WARNING",
        "TENANTPLANE_JOB_LEASE_SECONDS": "2",
        "TENANTPLANE_RUNBOOK_EXPOSED_PATHS": RUNBOOK_EXPOSED_PATHS,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tenantplane.cli", "worker", *(arg for m in imports for arg in ("--import", m))],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker's whole process group, so the scripts it started die with it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            _kill(proc)
    try:  # anything the worker left behind in its session
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _until(check: Any, what: str, timeout: float = 40) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _rescued(url: str, start: Callable[[], subprocess.Popen[bytes]], execution_id: uuid.UUID) -> None:
    """A worker started (after the victim's death) to take its jobs over, until the execution finishes."""
    rescuer = start()
    try:
        _until(
            lambda: _one(url, "SELECT status FROM executions WHERE id = %s", execution_id) in FINISHED,
            "the execution to finish",
            60,
        )
    finally:
        _stop(rescuer)


def _one(url: str, query: str, *params: object) -> Any:
    with psycopg.connect(url) as conn:
        row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


def _rows(url: str, query: str, *params: object) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()


async def _start(url: str, scripts: list[str], steps: list[dict[str, Any]]) -> uuid.UUID:
    """A tenant, one shell runbook per script, a workflow of `steps` (`{runbook_index}` in runbook_id) and its
    execution started by the platform; returns the execution id."""
    actions = [[{"name": "run", "type": "shell", "script": script}] for script in scripts]
    return await _start_runbooks(url, actions, steps)


async def _start_runbooks(url: str, actions: list[list[dict[str, Any]]], steps: list[dict[str, Any]]) -> uuid.UUID:
    """`_start` with one runbook per list of actions."""
    db = Database(url)
    try:
        async with db.transaction() as session:
            tenant, user, _ = await bootstrap(
                session, slug=f"t-{uuid.uuid4().hex[:8]}", admin_email="admin@example.com", admin_password="x" * 16
            )
            actor = Principal(
                kind="user",
                id=user.id,
                label=user.email,
                tenant_id=tenant.id,
                roles=frozenset(user.roles),
                via="test",
                user=user,
            )
            runbook_ids = []
            for index, runbook_actions in enumerate(actions):
                runbook = await create_runbook(
                    session, actor=actor, data=RunbookWrite(name=f"rb-{index}", actions=runbook_actions)
                )
                runbook_ids.append(str(runbook.id))
            for step in steps:
                if step["type"] == "runbook":
                    step["config"]["runbook_id"] = runbook_ids[step["config"]["runbook_id"]]
            workflow = await create_workflow(
                session, actor=actor, data=WorkflowWrite.model_validate({"name": "crash", "steps": steps})
            )
            execution = await execute_workflow(
                session, actor=None, tenant_id=tenant.id, workflow_id=workflow.id, inputs={}
            )
            return execution.id
    finally:
        await db.dispose()


@pytest.fixture
def markers() -> Iterator[Path]:
    """A directory the scripts can write to: as root the worker runs each script under a throwaway uid."""
    path = shared_with_runbooks("tp-crash-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _sleeping(seconds: str) -> int | None:
    """The host pid of the one `sleep <seconds>` process (scripts see only their own pid namespace's pids)."""
    found = [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and _cmdline(entry) == ["sleep", seconds]
    ]
    assert len(found) <= 1, (seconds, found)
    return found[0] if found else None


def _cmdline(entry: Path) -> list[str]:
    try:
        return (entry / "cmdline").read_bytes().decode().split("\0")[:-1]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    """Running (a zombie of an orphan waiting for init to reap it counts as dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _step_runs(url: str, execution_id: uuid.UUID) -> dict[str, tuple[str, int]]:
    rows = _rows(url, "SELECT step_id, status, attempt FROM step_runs WHERE execution_id = %s", execution_id)
    return {r[0]: (r[1], r[2]) for r in rows}


async def test_a_worker_killed_while_a_runbook_step_runs(clean_database: str, tmp_path: Path, markers: Path) -> None:
    url = clean_database
    a, b = markers / "a.log", markers / "b.log"
    tag = uuid.uuid4().int % 10**6
    foreground, background = f"30.{tag}", f"3600.{tag}"
    script_a = (
        f'if [ -e "{a}" ]; then echo again >> "{a}"; else sleep {background} & echo first >> "{a}"; '
        f"exec sleep {foreground}; fi"
    )
    script_b = f'echo ran >> "{b}"'
    steps = [
        {"id": "a", "type": "runbook", "name": "a", "config": {"runbook_id": 0}},
        {"id": "b", "type": "runbook", "name": "b", "config": {"runbook_id": 1}},
    ]
    execution_id = await _start(url, [script_a, script_b], steps)
    victim = _worker(url, tmp_path)
    try:
        _until(lambda: a.exists() and a.read_text().startswith("first"), "step A's script to start")
        script_pid = _until(lambda: _sleeping(foreground), "the script's foreground sleep")
        background_pid = _until(lambda: _sleeping(background), "the script's background sleep")
        _kill(victim)
        # The script runs as pid 2 of its own pid namespace (bwrap): when the worker dies, the launcher dies by
        # its parent-death signal, bwrap takes the namespace down, and the background child goes with it.
        _until(lambda: not _alive(script_pid), "the script to die with its worker", 10)
        _until(lambda: not _alive(background_pid), "its background child to die with it", 10)
        _rescued(url, lambda: _worker(url, tmp_path), execution_id)
    finally:
        if victim.poll() is None:
            _kill(victim)
    status, error = _rows(url, "SELECT status, error FROM executions WHERE id = %s", execution_id)[0]
    runs = _step_runs(url, execution_id)
    a_lines = a.read_text().splitlines()
    b_lines = b.read_text().splitlines() if b.exists() else []
    # The product: the runbook's job, taken over after the lease expired, fails the runbook execution the dead
    # worker left running ("interrupted": a half-run script is never re-run); step A has no retries, so the
    # workflow fails naming step A, and step B is skipped without ever starting.
    assert status == "failed", (status, error)
    assert error is not None
    assert "step 'a'" in error, error
    assert runs == {"a": ("failed", 1), "b": ("skipped", 0)}, runs
    assert [line.split()[0] for line in a_lines] == ["first"], "step A's script started twice in one attempt"
    assert not _alive(background_pid)
    assert b_lines == [], "step B ran although step A failed"
    terminal = ("succeeded", "failed", "skipped", "cancelled", "timed_out")
    assert all(s in terminal for s, _ in runs.values()), runs
    assert _one(url, "SELECT count(*) FROM jobs WHERE status NOT IN ('succeeded', 'failed', 'cancelled')") == 0
    attempts, last_error = _rows(url, "SELECT attempts, last_error FROM jobs WHERE kind = 'runbooks.execute'")[0]
    assert attempts == 2, "the dead worker's runbook job was not taken over exactly once"
    assert "lease expired" in last_error
    # The runbook executions the workflow started are finished too.
    children = _rows(
        url,
        "SELECT status, error FROM executions WHERE origin_type = 'workflow_step' AND tenant_id = "
        "(SELECT tenant_id FROM executions WHERE id = %s)",
        execution_id,
    )
    assert len(children) == 1, children
    assert children[0][0] == "failed", children
    assert "interrupted" in (children[0][1] or ""), children


async def test_a_worker_killed_while_a_delay_waits(clean_database: str, tmp_path: Path, markers: Path) -> None:
    url = clean_database
    marker = markers / "after.log"
    steps = [
        {"id": "wait", "type": "delay", "name": "wait", "config": {"seconds": 3}},
        {"id": "after", "type": "runbook", "name": "after", "config": {"runbook_id": 0}},
    ]
    execution_id = await _start(url, [f'date +%s.%N >> "{marker}"'], steps)
    victim = _worker(url, tmp_path)
    try:
        _until(lambda: _step_runs(url, execution_id).get("wait", ("", 0))[0] == "waiting", "the delay to wait")
        due = _until(
            lambda: _one(
                url,
                "SELECT max(run_at) FROM jobs WHERE kind = 'automation.timer' AND payload->>'execution_id' = %s",
                str(execution_id),
            ),
            "the delay's timer job",
        )
        assert _one(url, "SELECT now()") < due, "the worker must die before the delay is due"
        _kill(victim)
        time.sleep(1)
        _rescued(url, lambda: _worker(url, tmp_path), execution_id)
    finally:
        if victim.poll() is None:
            _kill(victim)
    status, error = _rows(url, "SELECT status, error FROM executions WHERE id = %s", execution_id)[0]
    assert status == "succeeded", error
    lines = marker.read_text().splitlines()
    assert len(lines) == 1, lines
    started = _one(url, "SELECT started_at FROM step_runs WHERE execution_id = %s AND step_id = 'after'", execution_id)
    assert started >= due, (started, due)
    assert float(lines[0]) >= due.timestamp(), (lines[0], due)
    runs = _step_runs(url, execution_id)
    assert runs == {"wait": ("succeeded", 1), "after": ("succeeded", 1)}, runs
