"""Real `tenantplane worker` processes: many workers share the queue exactly once; a killed worker's job
is taken over after its lease expires and recorded once; SIGTERM drains gracefully."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

import tests.support.job_handlers as handlers

pytestmark = pytest.mark.system
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def queue_db(clean_database: str) -> str:
    with psycopg.connect(clean_database, autocommit=True) as conn:
        conn.execute(handlers.CREATE_TABLE)
    return clean_database


def _worker(url: str, *extra: str, lease: float = 30.0) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "TENANTPLANE_DATABASE_URL": url,
        "TENANTPLANE_LOG_LEVEL": "WARNING",
        "TENANTPLANE_JOB_LEASE_SECONDS": str(lease),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tenantplane.cli", "worker", "--import", "tests.support.job_handlers", *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _enqueue_many(url: str, kind: str, count: int, payload: str = "{}") -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO jobs (kind, payload, max_attempts, backoff_seconds) "
            "SELECT %s, %s::jsonb, 3, 0.05 FROM generate_series(1, %s)",
            (kind, payload, count),
        )
        conn.execute("SELECT pg_notify('tenantplane_jobs', 'default')")


def _wait(url: str, query: str, expected: object, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        with psycopg.connect(url) as conn:
            value = conn.execute(query).fetchone()[0]  # type: ignore[index]
        if value == expected:
            return
        time.sleep(0.2)
    raise AssertionError(f"{query!r} stayed {value!r}, expected {expected!r}")


def _stop(procs: list[subprocess.Popen[str]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        proc.wait(timeout=60)


def test_four_workers_run_2000_jobs_each_exactly_once(queue_db: str) -> None:
    _enqueue_many(queue_db, "test.record", 2000)
    workers = [_worker(queue_db, "--concurrency", "8") for _ in range(4)]
    try:
        _wait(queue_db, "SELECT count(*) FROM jobs WHERE status = 'succeeded'", 2000)
    finally:
        _stop(workers)
    assert [w.returncode for w in workers] == [0, 0, 0, 0], [w.stderr.read() if w.stderr else "" for w in workers]
    with psycopg.connect(queue_db) as conn:
        runs, distinct, by_worker = conn.execute(
            "SELECT count(*), count(DISTINCT job_id), count(DISTINCT worker) FROM test_job_runs WHERE phase = 'done'"
        ).fetchone()  # type: ignore[misc]
    assert runs == distinct == 2000, "a job ran twice or not at all"
    assert by_worker >= 2, "the work was not shared between workers"


def test_a_killed_workers_job_is_taken_over_and_recorded_once(queue_db: str) -> None:
    with psycopg.connect(queue_db) as conn:
        job_id = conn.execute(
            "INSERT INTO jobs (kind, payload, max_attempts, backoff_seconds) "
            "VALUES ('test.block', '{\"seconds\": 60}', 3, 0.05) RETURNING id"
        ).fetchone()[0]  # type: ignore[index]
    victim = _worker(queue_db, lease=2.0)
    try:
        _wait(queue_db, f"SELECT count(*) FROM test_job_runs WHERE job_id = '{job_id}' AND phase = 'started'", 1, 60)
        with psycopg.connect(queue_db) as conn:
            stale_owner, stale_attempt = conn.execute(
                "SELECT lease_owner, attempts FROM jobs WHERE id = %s", (job_id,)
            ).fetchone()  # type: ignore[misc]
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        rescuer = _worker(queue_db, lease=2.0)
        try:
            _wait(queue_db, f"SELECT status FROM jobs WHERE id = '{job_id}'", "succeeded", 60)
        finally:
            _stop([rescuer])
    finally:
        if victim.poll() is None:
            victim.kill()
    with psycopg.connect(queue_db) as conn:
        done = conn.execute(
            "SELECT count(*) FROM test_job_runs WHERE job_id = %s AND phase = 'done'", (job_id,)
        ).fetchone()[0]  # type: ignore[index]
        # The killed worker's late completion (same SQL the runner uses) is refused by the fence.
        late = conn.execute(
            "UPDATE jobs SET status = 'succeeded' WHERE id = %s AND lease_owner = %s AND attempts = %s "
            "AND status = 'running' RETURNING id",
            (job_id, stale_owner, stale_attempt),
        ).fetchall()
        error = conn.execute("SELECT last_error FROM jobs WHERE id = %s", (job_id,)).fetchone()[0]  # type: ignore[index]
    assert done == 1
    assert late == []
    assert "lease expired" in error


def test_sigterm_lets_a_short_job_finish(queue_db: str) -> None:
    with psycopg.connect(queue_db) as conn:
        job_id = conn.execute(
            "INSERT INTO jobs (kind, payload) VALUES ('test.block', '{\"seconds\": 1.5}') RETURNING id"
        ).fetchone()[0]  # type: ignore[index]
    worker = _worker(queue_db)
    _wait(queue_db, f"SELECT count(*) FROM test_job_runs WHERE job_id = '{job_id}' AND phase = 'started'", 1, 60)
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=30)
    assert worker.returncode == 0
    with psycopg.connect(queue_db) as conn:
        status = conn.execute("SELECT status FROM jobs WHERE id = %s", (job_id,)).fetchone()[0]  # type: ignore[index]
        stopped = conn.execute("SELECT count(*) FROM workers WHERE stopped_at IS NOT NULL").fetchone()[0]  # type: ignore[index]
    assert status == "succeeded"
    assert stopped == 1


def test_unknown_queue_names_are_refused(queue_db: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tenantplane.cli", "worker", "--queues", " , "],
        cwd=ROOT,
        env={**os.environ, "TENANTPLANE_DATABASE_URL": queue_db},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "queue" in result.stderr
