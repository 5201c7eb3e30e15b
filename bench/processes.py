"""Several API processes: `serve --workers N` against one process, `/healthz` and `GET /api/me` under `wrk`.

Run on demand: `.venv/bin/python -m bench.processes [--workers 1,2] [--seconds 5]`; prints req/s and the ratio to
one process, measured in the same run on the same scratch database, with the load average beside each case.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
import psycopg

from bench.common import DEFAULT_SERVER, row, scratch_database

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "tenantplane.cli"]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wrk(url: str, headers: dict[str, str], seconds: float, connections: int, threads: int) -> tuple[float, float]:
    """(req/s, p99 ms) from `wrk`, a C load generator (it takes a core of its own on a small machine)."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    lines = [line.strip() for line in out.splitlines()]
    rps = float(next(line.split()[1] for line in lines if line.startswith("Requests/sec:")))
    p99 = next(line.split()[1] for line in lines if line.startswith("99%"))
    unit = p99.lstrip("0123456789.")
    return rps, float(p99[: len(p99) - len(unit)]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _cpu(procs: list[psutil.Process]) -> float:
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _backends(db_url: str) -> list[psutil.Process]:
    """The PostgreSQL backends serving the scratch database (the server runs on this machine)."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        pids = [int(r[0]) for r in conn.execute(query)]
    return [psutil.Process(pid) for pid in pids if psutil.pid_exists(pid)]


def cores_used(
    server: subprocess.Popen[bytes], db_url: str, run: Callable[[], tuple[float, float]]
) -> tuple[float, float, dict[str, float]]:
    """Run one load case; besides its (req/s, p99), the cores the API processes, their backends and wrk used."""
    tree = [psutil.Process(server.pid), *psutil.Process(server.pid).children(recursive=True)]
    backends = _backends(db_url)
    before = _cpu(tree), _cpu(backends), resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    rps, p99 = run()
    elapsed = time.perf_counter() - started
    backends += [b for b in _backends(db_url) if b.pid not in {x.pid for x in backends}]  # opened during the run
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = after.ru_utime + after.ru_stime - before[2].ru_utime - before[2].ru_stime
    used = {
        "api": (_cpu(tree) - before[0]) / elapsed,
        "postgres": (_cpu(backends) - before[1]) / elapsed,
        "wrk": wrk_cpu / elapsed,
    }
    return rps, p99, used


def serve(env: dict[str, str], workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    server = subprocess.Popen(
        [*CLI, "serve", "--no-worker", "--port", str(port), "--workers", str(workers)], env=env, cwd=ROOT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                # every process is up once the supervisor has started them all; give the last one a moment
                time.sleep(1.0 if workers > 1 else 0.2)
                return server, base
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.kill()
    raise RuntimeError("the server did not become ready")


Case = tuple[float, float, dict[str, float], str]


def measure(env: dict[str, str], workers: int, args: argparse.Namespace) -> dict[str, Case]:
    server, base = serve(env, workers)
    try:
        token = httpx.post(
            f"{base}/api/auth/token",
            json={"tenant": "bench", "email": "admin@bench.example.com", "password": "bench-password"},
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        out: dict[str, Case] = {}
        for name, path, headers in (("/healthz", "/healthz", {}), ("GET /api/me", "/api/me", auth)):

            def run(path: str = path, headers: dict[str, str] = headers) -> tuple[float, float]:
                return wrk(f"{base}{path}", headers, args.seconds, args.connections, args.threads)

            rps, p99, used = cores_used(server, env["TENANTPLANE_DATABASE_URL"], run)
            out[name] = (rps, p99, used, load())
        return out
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default=os.environ.get("TENANTPLANE_BENCH_SERVER", DEFAULT_SERVER))
    parser.add_argument("--workers", default="1,2", help="API process counts to compare; the first is the baseline")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    print(f"start {load()}  cores {os.cpu_count()}", flush=True)
    with scratch_database(args.server) as db_url:
        env = {
            **os.environ,
            "TENANTPLANE_DATABASE_URL": db_url,
            "TENANTPLANE_LOG_LEVEL": "WARNING",
            "TENANTPLANE_API_RATE_PER_SECOND": "0",  # one caller at full speed is the point here
            "TENANTPLANE_SECRET_KEY": "bench-secret-key-" + "x" * 32,
        }
        boot = ["bootstrap", "--tenant", "bench", "--admin-email", "admin@bench.example.com"]
        subprocess.run(
            [*CLI, *boot, "--admin-password", "bench-password"], env=env, check=True, cwd=ROOT, capture_output=True
        )
        results = {n: measure(env, n, args) for n in counts}
    base = results[counts[0]]
    print(
        f"\nAPI processes: `serve --no-worker --workers N`, wrk -t{args.threads} -c{args.connections} "
        f"{args.seconds:.0f}s per case, cores {os.cpu_count()}"
    )
    for n, cases in results.items():
        for name, (rps, p99, used, when) in cases.items():
            label = f"{name}, {n} process(es)"
            print(row(label, rps, "req/s", (f"vs {counts[0]}", base[name][0])) + f"  p99 {p99:.1f} ms  [{when}]")
            cores = ", ".join(f"{who} {value:.2f}" for who, value in used.items())
            print(f"    cores used: {cores} (of {os.cpu_count()}; the rest went to other processes or idled)")
    print(f"end {load()}")


if __name__ == "__main__":
    main()
