"""Helpers for tests that drive a real `tenantplane serve` process over HTTP (browser and system tests)."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]


def bearer(url: str, tenant: str, email: str, password: str) -> dict[str, str]:
    response = httpx.post(f"{url}/api/auth/token", json={"tenant": tenant, "email": email, "password": password})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, server: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"server exited early:\n{server.stderr.read() if server.stderr else ''}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("server never became ready")


def truncate_all(database_url: str) -> None:
    """Leave the shared test database as empty as the API tests' `clean_database` fixture does."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        ).fetchall()
        if rows:
            tables = sql.SQL(", ").join(sql.Identifier(r[0]) for r in rows)
            conn.execute(sql.SQL("TRUNCATE {} CASCADE").format(tables))


@contextlib.contextmanager
def serving(env: dict[str, str], *, worker: bool, port: int | None = None) -> Iterator[str]:
    """`tenantplane serve` on a loopback port (free, unless given) with its embedded worker or not; yields its URL
    once ready, and stops it with SIGTERM (SIGKILL after 30 s) on the way out."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "tenantplane.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        [*command, *([] if worker else ["--no-worker"])],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_ready(url, server)
        yield url
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
