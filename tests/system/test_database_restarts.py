"""The database restarts under a running `serve` and `worker` (a PostgreSQL cluster of the test's own, stopped with
`fast` and with `immediate` shutdown): while it is down clients get 503 with `Retry-After` (never a 500) and
`/readyz` says so; once it is back every pool and the worker's LISTEN reconnect by themselves, with no restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.pgcluster import ScratchCluster, _free_port

pytestmark = pytest.mark.system
ROOT = Path(__file__).resolve().parents[2]
ADMIN, PASSWORD = "admin@restarts.example.com", "restart-password-123"


def _cli(env: dict[str, str], *argv: str) -> None:
    subprocess.run([sys.executable, "-m", "tenantplane.cli", *argv], env=env, cwd=ROOT, check=True, capture_output=True)


def _until(check: object, what: str, timeout: float = 60) -> object:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = check()  # type: ignore[operator]
            if last:
                return last
        except httpx.TransportError as error:
            last = error
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def _echo_workflow(http: httpx.Client, headers: dict[str, str]) -> str:
    action = {"name": "say", "type": "echo", "values": {"a": "b"}}
    body = {"name": f"echo-{time.monotonic_ns()}", "actions": [action]}
    runbook = http.post("/api/runbooks", json=body, headers=headers)
    assert runbook.status_code == 201, runbook.text
    steps = [{"id": "say", "type": "runbook", "config": {"runbook_id": runbook.json()["id"]}}]
    workflow = http.post("/api/workflows", json={"name": f"wf-{time.monotonic_ns()}", "steps": steps}, headers=headers)
    assert workflow.status_code == 201, workflow.text
    return str(workflow.json()["id"])


def _runs_to_the_end(http: httpx.Client, headers: dict[str, str], workflow_id: str) -> None:
    started = http.post(f"/api/workflows/{workflow_id}/execute", json={"inputs": {}}, headers=headers)
    assert started.status_code == 202, started.text
    execution = started.json()["id"]

    def finished() -> bool:
        body = http.get(f"/api/executions/{execution}", headers=headers).json()
        return body["status"] == "succeeded"

    _until(finished, "the workflow to run on the worker after the restart")


def test_serve_and_worker_ride_out_database_restarts(cluster: ScratchCluster, tmp_path: Path) -> None:
    url = cluster.create_database("tenantplane")
    env = {
        **os.environ,
        "TENANTPLANE_DATABASE_URL": url,
        "TENANTPLANE_LOG_LEVEL": "WARNING",
        "TENANTPLANE_SECRET_KEY": "restart-secret-key-" + "x" * 32,
        "TENANTPLANE_DATA_DIR": str(tmp_path),
    }
    _cli(env, "migrate")
    _cli(env, "bootstrap", "--tenant", "restarts", "--admin-email", ADMIN, "--admin-password", PASSWORD)
    port = _free_port()
    cli = [sys.executable, "-m", "tenantplane.cli"]
    server = subprocess.Popen([*cli, "serve", "--no-worker", "--port", str(port)], env=env, cwd=ROOT)
    worker = subprocess.Popen([*cli, "worker"], env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=10) as http:
            _until(lambda: http.get("/readyz").status_code == 200, "the server to be ready")
            login = {"tenant": "restarts", "email": ADMIN, "password": PASSWORD}
            token = http.post("/api/auth/token", json=login).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            workflow_id = _echo_workflow(http, headers)
            _runs_to_the_end(http, headers, workflow_id)
            for mode in ("fast", "immediate"):
                cluster.stop(mode)
                down = http.get("/api/me", headers=headers)
                assert down.status_code == 503, (mode, down.status_code, down.text)
                assert down.headers["content-type"].startswith("application/problem+json")
                assert int(down.headers["retry-after"]) > 0
                # A login goes through the ORM's pool (the read above through the credential lookups' own).
                refused = http.post("/api/auth/token", json=login)
                assert refused.status_code == 503, (mode, refused.text)
                assert refused.json()["type"].endswith("/database-unavailable")
                ready = http.get("/readyz")
                assert ready.status_code == 503
                assert "not reachable" in ready.json()["detail"]
                cluster.start()
                _until(lambda: http.get("/api/me", headers=headers).status_code == 200, f"reads after a {mode} stop")
                assert http.get("/readyz").status_code == 200
                _runs_to_the_end(http, headers, workflow_id)
            assert server.poll() is None, "the server never needed a restart"
            assert worker.poll() is None, "the worker never needed a restart"
    finally:
        for proc in (server, worker):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in (server, worker):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    assert worker.stderr is not None
    logged = worker.stderr.read()
    assert "Traceback" not in logged, logged[-3000:]
