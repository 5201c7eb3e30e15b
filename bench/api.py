"""API benchmark: requests/s of authenticated reads against GET /healthz (the framework floor), in one run.

Starts a real `tenantplane serve --no-worker` on a scratch database, seeds a page of rows for each list (approval
inbox, executions, service requests) through the API, and loads each path with wrk (httpx when wrk is missing).
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
ADMIN = "admin@bench.example.com"
PASSWORD = "bench-password"


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


READS = (
    ("GET /api/me", "/api/me"),
    ("GET /api/approvals/inbox", "/api/approvals/inbox"),
    ("GET /api/executions", "/api/executions"),
    ("GET /api/itsm/requests?scope=all", "/api/itsm/requests?scope=all"),
)


def seed(base: str, admin: dict[str, str], rows: int) -> None:
    """`rows` pending requests awaiting the admin (a one-step approval) and `rows` queued runbook executions."""
    with httpx.Client(base_url=base, timeout=30) as http:

        def call(path: str, body: dict[str, object], headers: dict[str, str] = admin) -> dict[str, object]:
            response = http.post(path, json=body, headers=headers)
            response.raise_for_status()
            found: dict[str, object] = response.json()
            return found

        admin_id = str(http.get("/api/me", headers=admin).json()["id"])
        call("/api/users", {"email": "requester@bench.example.com", "display_name": "Requester", "password": PASSWORD})
        requester = {"Authorization": f"Bearer {_token(http, 'requester@bench.example.com')}"}
        step = {"name": "admin", "order": 1, "approver_type": "user", "approver_value": admin_id}
        definition = call("/api/workflows/definitions", {"name": "Admin approves", "steps": [step]})
        variables = [{"name": "model", "type": "string", "required": True}]
        item = call(
            "/api/itsm/catalog",
            {
                "name": "Laptop",
                "category": "Hardware",
                "variables": variables,
                "workflow_definition_id": definition["id"],
            },
        )
        runbooks = [
            call(
                "/api/runbooks",
                {"name": f"echo-{n}", "actions": [{"name": "say", "type": "echo", "values": {"said": "hi"}}]},
            )
            for n in range(5)
        ]
        for n in range(rows):
            call("/api/itsm/requests", {"catalog_item_id": item["id"], "variables": {"model": "X1"}}, requester)
            call(f"/api/runbooks/{runbooks[n % len(runbooks)]['id']}/execute", {})


def _token(http: httpx.Client, email: str) -> str:
    response = http.post("/api/auth/token", json={"tenant": "bench", "email": email, "password": PASSWORD})
    response.raise_for_status()
    return str(response.json()["access_token"])


def measure(url: str, headers: dict[str, str], seconds: float, clients: int) -> tuple[float, dict[str, float]]:
    if shutil.which("wrk"):
        return wrk_load(url, headers, seconds, clients)
    return asyncio.run(load(url, headers, seconds, clients))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default=os.environ.get("TENANTPLANE_BENCH_SERVER", DEFAULT_SERVER))
    parser.add_argument("--seconds", type=float, default=5.0, help="load per path")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rows", type=int, default=60, help="rows seeded per list (a page is 50)")
    parser.add_argument("--only-me", action="store_true", help="measure /healthz and /api/me only (no seeding)")
    args = parser.parse_args()
    results: list[tuple[str, float, dict[str, float]]] = []
    with scratch_database(args.server) as db_url:
        env = {
            **os.environ,
            "TENANTPLANE_DATABASE_URL": db_url,
            "TENANTPLANE_LOG_LEVEL": "WARNING",
            "TENANTPLANE_API_RATE_PER_SECOND": "0",  # one caller at full speed is the point here
            "TENANTPLANE_SECRET_KEY": "bench-secret-key-" + "x" * 32,
        }
        cli = [sys.executable, "-m", "tenantplane.cli"]
        subprocess.run(
            [*cli, "bootstrap", "--tenant", "bench", "--admin-email", ADMIN, "--admin-password", PASSWORD],
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
            with httpx.Client(base_url=base) as http:
                auth = {"Authorization": f"Bearer {_token(http, ADMIN)}"}
            reads = READS[:1] if args.only_me else READS
            if not args.only_me:
                seed(base, auth, args.rows)
            load_before = os.getloadavg()
            results.append(
                ("GET /healthz (framework floor)", *measure(f"{base}/healthz", {}, args.seconds, args.clients))
            )
            for label, path in reads:
                results.append((label, *measure(base + path, auth, args.seconds, args.clients)))
            load_after = os.getloadavg()
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    print(
        f"\nAPI benchmark: {args.clients} connections, {args.seconds:.0f}s per path, one server process, "
        f"cores {os.cpu_count()}, load average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )
    health = results[0][1]
    for label, rps, ms in results:
        ratio = () if label.startswith("GET /healthz") else (("vs /healthz", health),)
        print(row(label, rps, "req/s", *ratio) + f"  p50 {ms['p50']:.1f} ms p99 {ms['p99']:.1f} ms")


if __name__ == "__main__":
    main()
