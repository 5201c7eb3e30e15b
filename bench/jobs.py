"""Queue benchmark: our runner against a raw commit loop and procrastinate, on one PostgreSQL server.

Run on demand (`make bench-jobs`); prints jobs/s, latency and timer lateness, each as a ratio to baselines.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg

from bench.common import DEFAULT_SERVER, percentiles, row, scratch_database

ROOT = Path(__file__).resolve().parents[1]


def raw_loop(url: str, jobs: int) -> float:
    """(a) The floor any queue pays: one INSERT commit and one UPDATE commit per job, one connection."""
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE bench_raw (id bigserial PRIMARY KEY, status text NOT NULL)")
        conn.commit()
        started = time.perf_counter()
        for _ in range(jobs):
            job_id = conn.execute("INSERT INTO bench_raw (status) VALUES ('queued') RETURNING id").fetchone()[0]  # type: ignore[index]
            conn.commit()
            conn.execute("UPDATE bench_raw SET status = 'succeeded' WHERE id = %s", (job_id,))
            conn.commit()
        return jobs / (time.perf_counter() - started)


def _workers(url: str, count: int, concurrency: int) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "TENANTPLANE_DATABASE_URL": url, "TENANTPLANE_LOG_LEVEL": "WARNING"}
    cmd = [
        sys.executable,
        "-m",
        "tenantplane.cli",
        "worker",
        "--concurrency",
        str(concurrency),
        "--import",
        "bench.noop_handlers",
    ]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env) for _ in range(count)]
    deadline = time.monotonic() + 60
    # Started = registered and LISTENing (on a busy machine a worker still starting when the batch lands would
    # spend its start-up CPU inside the measurement, and join only at its first poll).
    started = (
        "SELECT (SELECT count(*) FROM workers WHERE stopped_at IS NULL), (SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = 'tenantplane-listen')"
    )
    with psycopg.connect(url, autocommit=True) as conn:
        while min(conn.execute(started).fetchone() or (0, 0)) < count:
            if time.monotonic() > deadline:
                raise RuntimeError("workers did not start")
            time.sleep(0.05)
    time.sleep(0.5)  # let them settle into their idle wait
    return procs


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        proc.wait(timeout=60)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def _cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


@dataclass
class Drained:
    """One throughput case: jobs/s, and CPU spent per 1000 jobs by the worker processes and by their backends."""

    rate: float
    worker_cpu: float
    backend_cpu: float
    transactions: float
    connections: tuple[int, int]  # the workers' backends before the batch, and those opened while draining it
    load: str


def runner_throughput(url: str, jobs: int, workers: int, concurrency: int) -> float:
    """(b) No-op jobs drained per second by `workers` processes, from one committed batch."""
    return drain(url, jobs, workers, concurrency).rate


def drain(url: str, jobs: int, workers: int, concurrency: int) -> Drained:
    procs = _workers(url, workers, concurrency)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DELETE FROM jobs")
            backends_query = (
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            backends = [int(r[0]) for r in conn.execute(backends_query)]
            worker_pids = [p.pid for p in procs]
            cpu_before = _cpu_seconds(worker_pids), _cpu_seconds(backends)
            xact = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
            conn.execute("SELECT pg_stat_clear_snapshot()")
            xact_before = conn.execute(xact).fetchone()[0]  # type: ignore[index]
            with conn.transaction():
                conn.execute(
                    "INSERT INTO jobs (kind, max_attempts) SELECT 'bench.noop', 1 FROM generate_series(1, %s)", (jobs,)
                )
                conn.execute("SELECT pg_notify('tenantplane_jobs', 'default')")
            started = time.perf_counter()
            while conn.execute("SELECT count(*) FROM jobs WHERE status = 'succeeded'").fetchone()[0] < jobs:  # type: ignore[index]
                time.sleep(0.01)
            elapsed = time.perf_counter() - started
            opened = [pid for (pid,) in conn.execute(backends_query) if pid not in backends]  # during the run
            worker_cpu = _cpu_seconds(worker_pids) - cpu_before[0]
            backend_cpu = _cpu_seconds(backends) - cpu_before[1] + _cpu_seconds(opened)
            time.sleep(0.6)  # the statistics collector flushes every 500 ms
            conn.execute("SELECT pg_stat_clear_snapshot()")
            xacts = conn.execute(xact).fetchone()[0] - xact_before  # type: ignore[index]
            per = 1000 / jobs
            connections = len(backends), len(opened)
            return Drained(jobs / elapsed, worker_cpu * per, backend_cpu * per, xacts * per, connections, load())
    finally:
        _stop(procs)


def start_latency(url: str, samples: int) -> dict[str, float]:
    """(c) Enqueue → handler start, one job at a time, on an idle worker woken by NOTIFY (ms)."""
    procs = _workers(url, 1, 10)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DELETE FROM jobs")
            for _ in range(samples):
                with conn.transaction():
                    conn.execute("INSERT INTO jobs (kind, max_attempts) VALUES ('bench.noop', 1)")
                    conn.execute("SELECT pg_notify('tenantplane_jobs', 'default')")
                time.sleep(0.01)
            time.sleep(0.5)
            rows = conn.execute(
                "SELECT EXTRACT(EPOCH FROM (started_at - created_at)) * 1000 FROM jobs WHERE started_at IS NOT NULL"
            ).fetchall()
        return percentiles([float(r[0]) for r in rows])
    finally:
        _stop(procs)


def timer_lateness(url: str, timers: int) -> dict[str, float]:
    """(d) Jobs due at spread future times: how late each started (ms); negative would mean early."""
    procs = _workers(url, 1, 10)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DELETE FROM jobs")
            conn.execute(
                "INSERT INTO jobs (kind, max_attempts, run_at) SELECT 'bench.noop', 1, "
                "clock_timestamp() + make_interval(secs => 0.5 + i * 0.02) FROM generate_series(1, %s) i",
                (timers,),
            )
            conn.execute("SELECT pg_notify('tenantplane_jobs', 'default')")
            while conn.execute("SELECT count(*) FROM jobs WHERE status = 'succeeded'").fetchone()[0] < timers:  # type: ignore[index]
                time.sleep(0.05)
            rows = conn.execute("SELECT EXTRACT(EPOCH FROM (started_at - run_at)) * 1000 FROM jobs").fetchall()
        values = [float(r[0]) for r in rows]
        return {**percentiles(values), "min": min(values)}
    finally:
        _stop(procs)


async def procrastinate_throughput(url: str, jobs: int, concurrency: int) -> float:
    """(e) The peer: the same no-op workload drained by one procrastinate worker at the same concurrency."""
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))

    @app.task(name="noop")
    async def noop() -> None:
        return None

    async with app.open_async():
        await app.schema_manager.apply_schema_async()
        for start in range(0, jobs, 1000):
            await noop.batch_defer_async(*({} for _ in range(min(1000, jobs - start))))
        started = time.perf_counter()
        await app.run_worker_async(concurrency=concurrency, wait=False, install_signal_handlers=False)
        return jobs / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default=os.environ.get("TENANTPLANE_BENCH_SERVER", DEFAULT_SERVER))
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--workers", default="1,2,4", help="worker process counts; 1 is the baseline of the ratio")
    parser.add_argument("--only-workers", action="store_true", help="skip the raw loop, latency, timers and peer")
    args = parser.parse_args()
    counts = sorted({1, *(int(n) for n in args.workers.split(","))})
    print(f"start {load()}  cores {os.cpu_count()}", flush=True)
    raw = peer = 0.0
    with scratch_database(args.server) as url:
        if not args.only_workers:
            raw = raw_loop(url, args.jobs)
        ours = {n: drain(url, args.jobs, n, args.concurrency) for n in counts}
        if not args.only_workers:
            latency = start_latency(url, 300)
            lateness = timer_lateness(url, 200)
    if not args.only_workers:
        with scratch_database(args.server, migrate=False) as url:
            peer = asyncio.run(procrastinate_throughput(url, args.jobs, args.concurrency))
    print(
        f"\nqueue benchmark: {args.jobs} no-op jobs, concurrency {args.concurrency} per worker, cores {os.cpu_count()}"
    )
    if raw:
        print(row("(a) raw INSERT+UPDATE commit loop", raw, "jobs/s"))
        print(row("(e) procrastinate, 1 worker", peer, "jobs/s", ("vs raw", raw)))
    for n, case in ours.items():
        print(
            row(
                f"(b) tenantplane runner, {n} worker process(es)",
                case.rate,
                "jobs/s",
                ("vs raw", raw),
                ("vs procrastinate", peer),
                ("vs 1 worker", ours[1].rate),
            )
            + f"  [{case.load}]"
        )
        print(
            f"    per 1000 jobs: worker CPU {case.worker_cpu:.2f} s, their backends' CPU {case.backend_cpu:.2f} s, "
            f"{case.transactions:.0f} transactions; connections {case.connections[0]} + {case.connections[1]} opened"
        )
    if not args.only_workers:
        print("(c) enqueue→start latency ms   " + "  ".join(f"{k} {v:.1f}" for k, v in latency.items()))
        print("(d) timer lateness ms          " + "  ".join(f"{k} {v:.1f}" for k, v in lateness.items()))
        print("    a timer fired early" if lateness["min"] < 0 else "    no timer fired early")
    print(f"end {load()}")


if __name__ == "__main__":
    main()
