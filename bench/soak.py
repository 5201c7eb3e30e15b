"""Soak: the same mixed load at a steady rate for a long time, to see what drifts (run on demand).

A real `tenantplane serve --no-worker` and `tenantplane worker` on a scratch database. Every `--window` seconds it
prints, per operation, requests, errors and p50/p99 latency, and the RSS of each process, PostgreSQL connections
and the size of the jobs table. At the end, the targets: zero errors, RSS growth < 10 % after the warm-up window,
p99 stable (last window at most 1.3x the second).

Operations, round robin at `--rate` per second: submit a request (2-step approval), approve its manager step,
approve its CAB step, run a workflow of two echo-runbook steps, read the manager's inbox, list executions.

    .venv/bin/python -m bench.soak                   # 30 minutes, 5-minute windows
    .venv/bin/python -m bench.soak --minutes 3 --window 30
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import threading
import time
from typing import Any

import psycopg

from bench.common import DEFAULT_SERVER, percentiles, scratch_database
from bench.itsm_server import ROOT, Api, bootstrap, setup_fixtures, start_server, stop_server, submit

OPS = ("submit", "approve manager", "approve cab", "run workflow", "read inbox", "list executions")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Driver:
    """Calls one operation per tick; per window, latencies and errors by operation."""

    def __init__(self, api: Api, fx: dict[str, Any], workflow_id: str, admin: str) -> None:
        self.api, self.fx, self.workflow_id, self.admin = api, fx, workflow_id, admin
        self.at_manager: collections.deque[str] = collections.deque()
        self.at_cab: collections.deque[str] = collections.deque()
        self.latencies: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: collections.Counter[str] = collections.Counter()
        self.lock = threading.Lock()

    def one(self, op: str) -> None:
        tokens = self.fx["tokens"]
        started = time.perf_counter()
        try:
            if op == "submit":
                self.at_manager.append(submit(self.api, self.fx))
            elif op == "approve manager" and self.at_manager:
                instance = self.at_manager.popleft()
                self.api.call("POST", f"/api/workflows/instances/{instance}/approve", tokens["manager"], {})
                self.at_cab.append(instance)
            elif op == "approve cab" and self.at_cab:
                instance = self.at_cab.popleft()
                self.api.call("POST", f"/api/workflows/instances/{instance}/approve", tokens["cab"], {})
            elif op == "run workflow":
                self.api.call("POST", f"/api/workflows/{self.workflow_id}/execute", self.admin, {"inputs": {}})
            elif op == "read inbox":
                self.api.call("GET", "/api/approvals/inbox", tokens["manager"])
            elif op == "list executions":
                self.api.call("GET", "/api/executions", self.admin)
            else:
                return
        except Exception:  # counted, and the soak goes on: errors are one of its results
            with self.lock:
                self.errors[op] += 1
            return
        with self.lock:
            self.latencies[op].append((time.perf_counter() - started) * 1000)

    def take(self) -> tuple[dict[str, list[float]], collections.Counter[str]]:
        with self.lock:
            taken, errors = dict(self.latencies), self.errors
            self.latencies, self.errors = collections.defaultdict(list), collections.Counter()
        return taken, errors


def _workflow(api: Api, admin: str) -> str:
    action = {"name": "say", "type": "echo", "values": {"said": "hi"}}
    runbook = api.call("POST", "/api/runbooks", admin, {"name": "soak-echo", "actions": [action]}, expect=201)
    steps = [{"id": f"s{i}", "type": "runbook", "config": {"runbook_id": runbook["id"]}} for i in range(2)]
    return str(api.call("POST", "/api/workflows", admin, {"name": "soak", "steps": steps}, expect=201)["id"])


def _database_facts(url: str) -> tuple[int, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        connections = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        jobs = conn.execute("SELECT count(*) FROM jobs")
        return int(connections.fetchone()[0]), int(jobs.fetchone()[0])  # type: ignore[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=os.environ.get("TENANTPLANE_BENCH_SERVER", DEFAULT_SERVER))
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--window", type=float, default=300.0, help="seconds per reported window")
    parser.add_argument("--rate", type=float, default=12.0, help="operations per second, all kinds together")
    args = parser.parse_args()
    with scratch_database(args.server) as url:
        env = bootstrap(url)
        server, base = start_server(env)
        worker = subprocess.Popen([sys.executable, "-m", "tenantplane.cli", "worker"], env=env, cwd=ROOT)
        try:
            api = Api(base)
            admin = api.token("admin@bench.example.com")
            driver = Driver(api, setup_fixtures(api, admin), _workflow(api, admin), admin)
            windows = report(driver, url, args, {"serve": server.pid, "worker": worker.pid})
        finally:
            worker.terminate()
            worker.wait(timeout=60)
            stop_server(server)
    verdict(windows)


def report(driver: Driver, url: str, args: argparse.Namespace, pids: dict[str, int]) -> list[dict[str, Any]]:
    print(f"soak: {args.minutes:g} min at {args.rate:g} ops/s, windows of {args.window:g} s [load {os.getloadavg()}]")
    windows: list[dict[str, Any]] = []
    deadline = time.monotonic() + args.minutes * 60
    window_end = time.monotonic() + args.window
    tick, n = 1.0 / args.rate, 0
    next_at = time.monotonic()
    while time.monotonic() < deadline:
        driver.one(OPS[n % len(OPS)])
        n += 1
        next_at += tick
        time.sleep(max(0.0, next_at - time.monotonic()))
        if time.monotonic() >= window_end:
            window_end += args.window
            latencies, errors = driver.take()
            connections, jobs = _database_facts(url)
            rss = {name: rss_mb(pid) for name, pid in pids.items()}
            windows.append({"latencies": latencies, "errors": errors, "rss": rss})
            print(
                f"-- window {len(windows)}: rss {rss} MB, connections {connections}, jobs rows {jobs}, "
                f"load {os.getloadavg()[0]:.2f}"
            )
            for op in OPS:
                found = latencies.get(op, [])
                if len(found) >= 2:
                    p = percentiles(found)
                    print(
                        f"   {op:<18} {len(found):>6} ok {errors[op]:>4} errors  p50 {p['p50']:7.1f} ms  "
                        f"p99 {p['p99']:7.1f} ms"
                    )
    return windows


def verdict(windows: list[dict[str, Any]]) -> None:
    errors = sum(sum(w["errors"].values()) for w in windows)
    print(f"errors: {errors} (target 0): {'MET' if errors == 0 else 'MISSED'}")
    if len(windows) < 3:
        print("fewer than 3 windows: no drift verdict (run longer or use a shorter --window)")
        return
    for name in windows[0]["rss"]:
        first, last = windows[1]["rss"][name], windows[-1]["rss"][name]
        growth = (last - first) / first if first else 0.0
        print(
            f"rss {name}: {first:.1f} → {last:.1f} MB after warm-up, {growth:+.1%} (target < +10 %): "
            f"{'MET' if growth < 0.10 else 'MISSED'}"
        )
    for op in OPS:
        second, last = windows[1]["latencies"].get(op, []), windows[-1]["latencies"].get(op, [])
        if len(second) >= 2 and len(last) >= 2:
            ratio = percentiles(last)["p99"] / percentiles(second)["p99"]
            print(
                f"p99 {op}: last window {ratio:.2f}x the second (target ≤ 1.3x): {'MET' if ratio <= 1.3 else 'MISSED'}"
            )


if __name__ == "__main__":
    main()
