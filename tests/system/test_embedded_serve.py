"""`tenantplane serve` with no database URL runs on an embedded PostgreSQL and leaves nothing behind.

Real processes: the CLI bootstraps, the server starts, a second process shares the same embedded server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.live_server import free_port

pytestmark = pytest.mark.system
CLI = [sys.executable, "-m", "tenantplane.cli"]


def _postgres_processes(data_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if proc.info["name"] == "postgres" and str(data_dir) in cmdline:
            found.append(proc)
    return found


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    data_dir = tmp_path / "data"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TENANTPLANE_")}
    environment |= {"TENANTPLANE_DATA_DIR": str(data_dir), "TENANTPLANE_LOG_FORMAT": "console"}
    yield environment
    for proc in _postgres_processes(data_dir):  # never leave a server behind, even when the test failed
        proc.kill()


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def _wait_ready(url: str, server: subprocess.Popen[str], timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, f"server exited early:\n{server.stderr.read() if server.stderr else ''}"
        try:
            response = httpx.get(f"{url}/readyz", timeout=2)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("server never became ready")


def test_serve_on_embedded_postgres_and_stop_cleanly(env: dict[str, str]) -> None:
    data_dir = Path(env["TENANTPLANE_DATA_DIR"])
    boot = _run(
        env,
        "bootstrap",
        "--tenant",
        "demo",
        "--admin-email",
        "Admin@Demo.example.com",
        "--admin-password",
        "demo-password",
    )
    assert boot.returncode == 0, boot.stderr
    assert "created" in boot.stdout
    assert _postgres_processes(data_dir) == [], "bootstrap left its embedded server running"

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        ready = _wait_ready(url, server)
        assert ready.json()["status"] == "ready"
        postmaster = [p for p in _postgres_processes(data_dir) if p.ppid() == 1 or p.parent().name() != "postgres"]
        assert postmaster, "no embedded postgres is running"

        # A second process on the same data directory joins the running server, and leaves it running.
        again = _run(
            env,
            "bootstrap",
            "--tenant",
            "demo",
            "--admin-email",
            "admin@demo.example.com",
            "--admin-password",
            "demo-password",
        )
        assert again.returncode == 0, again.stderr
        assert "already present" in again.stdout
        assert postmaster[0].is_running()

        login = httpx.post(
            f"{url}/api/auth/token",
            json={"tenant": "demo", "email": "admin@demo.example.com", "password": "demo-password"},
        )
        assert login.status_code == 200, login.text
        me = httpx.get(f"{url}/api/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"})
        assert me.json()["roles"] == ["admin"]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert server.returncode == 0, server.stderr.read() if server.stderr else ""
    deadline = time.monotonic() + 15
    while _postgres_processes(data_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _postgres_processes(data_dir) == [], "the embedded postgres outlived the server"
    assert (data_dir / "secret_key").stat().st_mode & 0o077 == 0, "the generated secret key is readable by others"
