"""`tenantplane serve --workers 2`: two API processes answer, the one embedded worker runs every job exactly once,
one embedded PostgreSQL serves them all, and SIGTERM stops every process it started (that server included)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest

import tests.support.job_handlers as handlers
from tests.live_server import ROOT, free_port, wait_ready
from tests.system.test_embedded_serve import _postgres_processes

pytestmark = pytest.mark.system
CLI = [sys.executable, "-m", "tenantplane.cli"]


def _api_processes(server: psutil.Process, count: int, timeout: float = 60) -> list[psutil.Process]:
    """The supervisor's spawned children (uvicorn's API processes), once `count` of them run."""
    deadline = time.monotonic() + timeout
    while True:
        found = [p for p in server.children() if "spawn_main" in " ".join(p.cmdline())]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _scalar(url: str, query: str) -> object:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchone()[0]  # type: ignore[index]


def _wait(url: str, query: str, expected: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while (value := _scalar(url, query)) != expected:
        assert time.monotonic() < deadline, f"{query!r} stayed {value!r}, expected {expected!r}"
        time.sleep(0.2)


def test_two_api_processes_share_one_embedded_worker_and_stop_together(clean_database: str) -> None:
    with psycopg.connect(clean_database, autocommit=True) as conn:
        conn.execute(handlers.CREATE_TABLE)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TENANTPLANE_")},
        "TENANTPLANE_DATABASE_URL": clean_database,
        "TENANTPLANE_LOG_LEVEL": "WARNING",
        "TENANTPLANE_SECRET_KEY": "system-test-secret-key-" + "x" * 32,
    }
    boot = ["bootstrap", "--tenant", "demo", "--admin-email", "admin@demo.example.com"]
    boot += ["--admin-password", "pw-12345678"]
    assert subprocess.run([*CLI, *boot], env=env, cwd=ROOT, capture_output=True, timeout=120).returncode == 0
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [*CLI, "serve", "--port", str(port), "--workers", "2", "--import", "tests.support.job_handlers"]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_ready(url, server)
        supervisor = psutil.Process(server.pid)
        api = _api_processes(supervisor, 2)
        assert len(api) == 2, "serve --workers 2 did not start two API processes"

        # Requests are answered (each on a fresh connection, so the kernel may hand them to either process).
        token = httpx.post(
            f"{url}/api/auth/token",
            json={"tenant": "demo", "email": "admin@demo.example.com", "password": "pw-12345678"},
        ).json()["access_token"]
        for _ in range(20):
            me = httpx.get(f"{url}/api/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200
            assert me.json()["roles"] == ["admin"]
        assert "runbook_sandbox" in httpx.get(f"{url}/readyz").json(), "/readyz no longer names the worker's sandbox"

        # One embedded worker, not one per API process, and each job runs exactly once.
        with psycopg.connect(clean_database) as conn:
            conn.execute(
                "INSERT INTO jobs (kind, max_attempts, backoff_seconds) "
                "SELECT 'test.record', 3, 0.05 FROM generate_series(1, 300)"
            )
            conn.execute("SELECT pg_notify('tenantplane_jobs', 'default')")
        _wait(clean_database, "SELECT count(*) FROM jobs WHERE status = 'succeeded'", 300)
        assert _scalar(clean_database, "SELECT count(*) FROM workers") == 1
        with psycopg.connect(clean_database) as conn:
            runs, distinct, workers = conn.execute(
                "SELECT count(*), count(DISTINCT job_id), count(DISTINCT worker) FROM test_job_runs"
            ).fetchone()  # type: ignore[misc]
        assert (runs, distinct, workers) == (300, 300, 1)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        finally:
            if server.poll() is None:
                server.kill()
    assert server.returncode == 0, server.stderr.read() if server.stderr else ""
    _, alive = psutil.wait_procs(api, timeout=10)
    assert alive == [], "an API process outlived serve"
    assert _scalar(clean_database, "SELECT count(*) FROM workers WHERE stopped_at IS NULL") == 0


def test_two_api_processes_share_the_one_embedded_postgres(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTPLANE_")}
    env |= {"TENANTPLANE_DATA_DIR": str(data_dir), "TENANTPLANE_LOG_LEVEL": "WARNING"}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_ready(url, server)
        assert len(_api_processes(psutil.Process(server.pid), 2)) == 2
        servers = [p for p in _postgres_processes(data_dir) if p.parent() is None or p.parent().name() != "postgres"]
        assert len(servers) == 1, "each API process started a PostgreSQL of its own"
        for _ in range(10):
            assert httpx.get(f"{url}/readyz").json()["database"] == "ok"
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        finally:
            if server.poll() is None:
                server.kill()
            deadline = time.monotonic() + 15
            while _postgres_processes(data_dir) and time.monotonic() < deadline:
                time.sleep(0.2)
            left = _postgres_processes(data_dir)
            for proc in left:  # never leave a server behind, even when the test failed
                proc.kill()
    assert server.returncode == 0, server.stderr.read() if server.stderr else ""
    assert left == [], "the embedded postgres outlived serve"
