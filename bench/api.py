"""API benchmark: requests/s of GET /api/me (authenticated, one DB read) against GET /healthz (framework floor).

Starts a real `tenantplane serve --no-worker` on a scratch database; load from this process with httpx.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.common import DEFAULT_SERVER, percentiles, row, scratch_database

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def load(url: str, headers: dict[str, str], seconds: float, clients: int) -> tuple[float, dict[str, float]]:
    """Closed-loop load: `clients` concurrent requesters for `seconds`; returns (requests/s, latency ms)."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=10) as http:

        async def requester() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await http.get(url, headers=headers)
                response.raise_for_status()
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(requester() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, percentiles(latencies)


def wrk_load(url: str, headers: dict[str, str], seconds: float, clients: int) -> tuple[float, dict[str, float]]:
    """The same load from `wrk` (a C load generator) when it is installed: it is not the bottleneck."""
    cmd = ["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "--latency"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec:")))

    def ms(label: str) -> float:
        value = next(line.split()[1] for line in out.splitlines() if line.strip().startswith(label))
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
        unit = value.lstrip("0123456789.")
        return float(value[: len(value) - len(unit)]) * scale[unit]

    return rps, {"p50": ms("50%"), "p99": ms("99%")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default=os.environ.get("TENANTPLANE_BENCH_SERVER", DEFAULT_SERVER))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    with scratch_database(args.server) as db_url:
        env = {
            **os.environ,
            "TENANTPLANE_DATABASE_URL": db_url,
            "TENANTPLANE_LOG_LEVEL": "WARNING",
            "TENANTPLANE_SECRET_KEY": "bench-secret-key-" + "x" * 32,
        }
        cli = [sys.executable, "-m", "tenantplane.cli"]
        subprocess.run(
            [
                *cli,
                "bootstrap",
                "--tenant",
                "bench",
                "--admin-email",
                "admin@bench.example.com",
                "--admin-password",
                "bench-password",
            ],
            env=env,
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
        port = _free_port()
        server = subprocess.Popen([*cli, "serve", "--no-worker", "--port", str(port)], env=env, cwd=ROOT)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    if httpx.get(f"{base}/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            token = httpx.post(
                f"{base}/api/auth/token",
                json={"tenant": "bench", "email": "admin@bench.example.com", "password": "bench-password"},
            ).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            if shutil.which("wrk"):
                health, health_ms = wrk_load(f"{base}/healthz", {}, args.seconds, args.clients)
                me, me_ms = wrk_load(f"{base}/api/me", auth, args.seconds, args.clients)
            else:
                health, health_ms = asyncio.run(load(f"{base}/healthz", {}, args.seconds, args.clients))
                me, me_ms = asyncio.run(load(f"{base}/api/me", auth, args.seconds, args.clients))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    print(
        f"\nAPI benchmark: {args.clients} clients, {args.seconds:.0f}s each, one server process, cores {os.cpu_count()}"
    )
    print(
        row("GET /healthz (framework floor)", health, "req/s")
        + f"  p50 {health_ms['p50']:.1f} ms p99 {health_ms['p99']:.1f} ms"
    )
    print(
        row("GET /api/me (token check + user read)", me, "req/s", ("vs /healthz", health))
        + f"  p50 {me_ms['p50']:.1f} ms p99 {me_ms['p99']:.1f} ms"
    )


if __name__ == "__main__":
    main()
