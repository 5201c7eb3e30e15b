"""Queue fairness benchmark: a quiet tenant's enqueue→start latency, alone and while another tenant floods the queue.

Run on demand (`.venv/bin/python -m bench.fairness`); prints p50/p99 and their ratios, no assertions. The quiet
tenant enqueues no-op jobs at a steady rate (20/s), first on an idle queue, then right after a flood tenant's
50,000 due jobs were committed in one INSERT, until the flood has drained; the same worker processes serve both.
Issue 14's target: p99 with the flood ≤ 3x p99 without. The flood's own drain rate is printed too: fairness must not
cost the flood its throughput.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg

from bench.common import DEFAULT_SERVER, percentiles, scratch_database
from bench.jobs import _stop, _workers, load

_ENQUEUE = (
    "WITH job AS (INSERT INTO jobs (tenant_id, kind, max_attempts) VALUES (%s, 'bench.noop', 1) RETURNING queue) "
    "SELECT pg_notify('tenantplane_jobs', queue) FROM job"
)


def _quiet_for(conn: psycopg.Connection[Any], tenant: uuid.UUID, rate: float, until: Callable[[], bool]) -> int:
    """Enqueue one quiet job every 1/rate seconds (each its own commit, as an approval notice would be) until
    `until()` says stop; returns how many."""
    interval, sent, started = 1.0 / rate, 0, time.perf_counter()
    while not until():
        conn.execute(_ENQUEUE, (tenant,))
        sent += 1
        time.sleep(max(0.0, started + sent * interval - time.perf_counter()))
    return sent


def _latencies(conn: psycopg.Connection[Any], tenant: uuid.UUID, after: float) -> list[float]:
    rows = conn.execute(
        "SELECT EXTRACT(EPOCH FROM (started_at - created_at)) * 1000 FROM jobs "
        "WHERE tenant_id = %s AND created_at >= to_timestamp(%s) AND started_at IS NOT NULL",
        (tenant, after),
    ).fetchall()
    return [float(r[0]) for r in rows]


def _wait_started(conn: psycopg.Connection[Any], tenant: uuid.UUID) -> None:
    deadline = time.monotonic() + 120
    query = "SELECT count(*) FROM jobs WHERE tenant_id = %s AND started_at IS NULL"
    while conn.execute(query, (tenant,)).fetchone()[0] and time.monotonic() < deadline:  # type: ignore[index]
        time.sleep(0.05)


def run(url: str, flood: int, rate: float, quiet_seconds: float, workers: int, concurrency: int) -> None:
    quiet_id, flood_id = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO tenants (id, slug, name) VALUES (%s, 'quiet', 'Quiet'), (%s, 'flood', 'Flood')",
            (quiet_id, flood_id),
        )
    procs = _workers(url, workers, concurrency)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            # 1. The quiet tenant alone.
            alone_from = time.time()
            end = time.monotonic() + quiet_seconds
            _quiet_for(conn, quiet_id, rate, lambda: time.monotonic() > end)
            _wait_started(conn, quiet_id)
            alone = _latencies(conn, quiet_id, alone_from)
            load_alone = load()

            # 2. The same, while the flood drains: its jobs all due at once, committed before the quiet ones.
            with conn.transaction():
                conn.execute(
                    "INSERT INTO jobs (tenant_id, kind, max_attempts) SELECT %s, 'bench.noop', 1 "
                    "FROM generate_series(1, %s)",
                    (flood_id, flood),
                )
                conn.execute("SELECT pg_notify('tenantplane_jobs', 'default')")
            flood_from = time.time()
            flood_started = time.perf_counter()
            pending = "SELECT count(*) FROM jobs WHERE tenant_id = %s AND status IN ('queued', 'failed', 'running')"
            checked = {"at": 0.0, "left": flood}

            def drained() -> bool:
                if time.perf_counter() - checked["at"] > 0.2:
                    checked["left"] = conn.execute(pending, (flood_id,)).fetchone()[0]  # type: ignore[index]
                    checked["at"] = time.perf_counter()
                return checked["left"] == 0 or time.perf_counter() - flood_started > 90

            _quiet_for(conn, quiet_id, rate, drained)
            flood_seconds = time.perf_counter() - flood_started
            done = conn.execute(
                "SELECT count(*) FROM jobs WHERE tenant_id = %s AND status = 'succeeded'", (flood_id,)
            ).fetchone()[0]  # type: ignore[index]
            _wait_started(conn, quiet_id)
            flooded = _latencies(conn, quiet_id, flood_from)
            load_flood = load()
    finally:
        _stop(procs)
    print(f"\nfairness: quiet tenant at {rate:g} jobs/s, flood of {flood} due jobs, {workers} x {concurrency} workers")
    for label, values, when in (("alone", alone, load_alone), ("during the flood", flooded, load_flood)):
        stats = percentiles(values)
        print(
            f"  quiet enqueue→start {label:<17} n={len(values):<4} p50 {stats['p50']:8.1f} ms  "
            f"p99 {stats['p99']:8.1f} ms  max {stats['max']:8.1f} ms  [{when}]"
        )
    p99_alone, p99_flood = percentiles(alone)["p99"], percentiles(flooded)["p99"]
    p50_alone, p50_flood = percentiles(alone)["p50"], percentiles(flooded)["p50"]
    print(f"  p99 with flood / p99 alone: {p99_flood / p99_alone:6.2f}x   (target ≤ 3x)")
    print(f"  p50 with flood / p50 alone: {p50_flood / p50_alone:6.2f}x")
    print(f"  flood drained {done}/{flood} in {flood_seconds:.1f} s: {done / flood_seconds:.0f} jobs/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default=os.environ.get("TENANTPLANE_BENCH_SERVER", DEFAULT_SERVER))
    parser.add_argument("--flood", type=int, default=50_000, help="the flood tenant's due jobs")
    parser.add_argument("--rate", type=float, default=20.0, help="the quiet tenant's jobs per second")
    parser.add_argument("--quiet-seconds", type=float, default=10.0, help="length of the no-flood phase")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument(
        "--reserved-slots", type=int, default=None, help="slots per worker no tenant may take (default: the setting's)"
    )
    args = parser.parse_args()
    if args.reserved_slots is not None:  # the worker processes read it from their environment
        os.environ["TENANTPLANE_WORKER_RESERVED_SLOTS"] = str(args.reserved_slots)
    print(f"reserved slots per worker: {os.environ.get('TENANTPLANE_WORKER_RESERVED_SLOTS', 'default (1)')}")
    print(f"start {load()}  cores {os.cpu_count()}", flush=True)
    with scratch_database(args.server) as url:
        run(url, args.flood, args.rate, args.quiet_seconds, args.workers, args.concurrency)
    print(f"end {load()}")


if __name__ == "__main__":
    main()
