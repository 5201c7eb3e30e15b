"""Insights query benchmark: each /api/insights query at a small and a large history, in one run.

Two scratch databases (bench/common.py), each seeded set-based (bench/insights_data.py) with `size` approval
instances (with their requests and SLA clocks) and `size` workflow step runs at the same volume per day, then
ANALYZEd. Each query runs through the real query functions (tenantplane.insights.queries_*) with the admin's scope
over the default range (the last 30 days), and a few with a service owner's scope; `--runs` times each after a
warm-up, the two databases taking turns run by run so that the shared machine's changing load hits both alike.
Prints p50/p99 per query at both sizes, their ratios, the targets (p99 ≤ 250 ms at the large size and ≤ 2x the
small size's), and EXPLAIN (ANALYZE, BUFFERS) of the slowest query at the large size.

Run: `.venv/bin/python -m bench.insights [--small 10000 --large 1000000 --runs 30]`; `--only "sla compliance"`
measures only the queries whose name holds it. The machine is shared: its load average is printed with the
figures.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bench.common import DEFAULT_SERVER, percentiles, scratch_database
from bench.insights_data import seed
from tenantplane.insights import queries_approvals as approvals
from tenantplane.insights import queries_automation as automation
from tenantplane.insights import queries_requests as requests
from tenantplane.insights.queries_approvals import SETTINGS
from tenantplane.insights.scope import Scope
from tenantplane.kit.db import async_url

TARGET_MS, TARGET_RATIO = 250.0, 2.0
Query = Callable[[AsyncSession, Scope], Awaitable[list[dict[str, Any]]]]
QUERIES: dict[str, tuple[Query, bool]] = {  # name → (query, as the service owner)
    "time-to-decision by definition": (lambda s, sc: approvals.time_to_decision(s, sc, "definition"), False),
    "time-to-decision by step": (lambda s, sc: approvals.time_to_decision(s, sc, "step"), False),
    "time-to-decision by approver": (lambda s, sc: approvals.time_to_decision(s, sc, "approver"), False),
    "time-to-decision by step (owner)": (lambda s, sc: approvals.time_to_decision(s, sc, "step"), True),
    "outcomes": (approvals.outcomes, False),
    "pending by age": (approvals.pending_by_age, False),
    "bottlenecks": (approvals.bottlenecks, False),
    "bottlenecks (owner)": (approvals.bottlenecks, True),
    "fulfilment by item": (requests.fulfillment_by_item, False),
    "fulfilment by item (owner)": (requests.fulfillment_by_item, True),
    "sla compliance": (requests.sla_compliance, False),
    "sla compliance (owner)": (requests.sla_compliance, True),
    "trends": (requests.trends, False),
    "automation executions": (automation.executions, False),
    "automation step durations": (automation.step_durations, False),
    "automation failures": (automation.failures, False),
    "automation gate waits": (automation.gate_waits, False),
}


def log(message: str) -> None:
    print(message, flush=True)


def _scope(owner: bool) -> Scope:
    now = datetime.now(UTC)
    items = tuple(uuid.UUID(bytes=_md5(f"c{k}")) for k in range(1, 11)) if owner else None
    return Scope(
        tenant_id=uuid.UUID(bytes=_md5("tenant")),
        start=now - timedelta(days=30),
        end=now,
        now=now,
        items=items,
        definition_id=None,
        workflow_id=None,
    )


def _md5(value: str) -> bytes:
    return hashlib.md5(value.encode()).digest()  # the seed's ids (md5(text)::uuid), not security


class Target:
    """One seeded database: its engine, and the last statement sent on it (for EXPLAIN)."""

    def __init__(self, url: str) -> None:
        self.url, self.sent = url, ("", None)
        self.engine = create_async_engine(async_url(url), pool_size=2)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

        @event.listens_for(self.engine.sync_engine, "before_cursor_execute")
        def _keep(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
            self.sent = (statement, parameters)


async def measure(
    urls: list[str], runs: int, names: list[str]
) -> tuple[list[dict[str, dict[str, float]]], dict[str, tuple[str, Any]]]:
    """p50/p99 (ms) per query and database, the databases taking turns run by run (small, large, large, small, …)
    so that the shared machine's load changes hit both alike; and each query's statement on the last database."""
    targets = [Target(url) for url in urls]
    figures: list[dict[str, dict[str, float]]] = [{} for _ in targets]
    statements: dict[str, tuple[str, Any]] = {}
    try:
        for name in names:
            query, owner = QUERIES[name]
            times: list[list[float]] = [[] for _ in targets]
            rows = []
            for target in targets:  # warm-up (and the row count)
                async with target.sessions() as session:
                    rows.append(len(await query(session, _scope(owner))))
            statements[name] = targets[-1].sent
            for run in range(runs):
                for n in range(len(targets)) if run % 2 == 0 else reversed(range(len(targets))):
                    async with targets[n].sessions() as session:
                        started = time.perf_counter()
                        await query(session, _scope(owner))
                        times[n].append((time.perf_counter() - started) * 1000)
            for n in range(len(targets)):
                figures[n][name] = {**percentiles(times[n]), "rows": float(rows[n])}
    finally:
        for target in targets:
            await target.engine.dispose()
    return figures, statements


async def explain(url: str, statement: str, parameters: Any) -> str:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as conn:  # the settings the query functions use (queries_approvals.fetch)
            await conn.execute(text(SETTINGS))
            result = await conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            return "\n".join(row[0] for row in result)
    finally:
        await engine.dispose()


def run(server: str, sizes: list[int], per_day: int, runs: int, names: list[str]) -> list[dict[str, dict[str, float]]]:
    with ExitStack() as stack:
        urls = []
        for size in sizes:
            url = stack.enter_context(scratch_database(server))
            log(f"seeding {size:,} approval instances and {size:,} step runs ({per_day}/day)")
            seed(url, size, per_day, log=log)
            log(f"  rows: {asyncio.run(_counts(url))}")
            urls.append(url)
        figures, statements = asyncio.run(measure(urls, runs, names))
        slowest = max(figures[-1], key=lambda name: figures[-1][name]["p99"])
        log(f"\nEXPLAIN (ANALYZE, BUFFERS) of the slowest at {sizes[-1]:,}: {slowest}")
        log(asyncio.run(explain(urls[-1], *statements[slowest])))
    return figures


async def _counts(url: str) -> str:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            found = []
            for table in ("approval_instances", "service_requests", "executions", "step_runs", "approval_gates"):
                found.append(f"{table} {await conn.scalar(text(f'SELECT count(*) FROM {table}')):,}")
            return ", ".join(found)
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=os.environ.get("TENANTPLANE_BENCH_SERVER", DEFAULT_SERVER))
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--per-day", type=int, default=300, help="requests (and step runs) per day of history")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--only", default="", help="measure only the queries whose name contains this")
    args = parser.parse_args()
    names = [name for name in QUERIES if args.only in name]
    if not names:
        parser.error(f"no query name contains {args.only!r}")
    log(f"cores {os.cpu_count()}, load average {os.getloadavg()}")
    small, large = run(args.server, [args.small, args.large], args.per_day, args.runs, names)
    log(f"\nload average {os.getloadavg()}")
    header = f"{'query':<36} {'rows':>5} {'p50 small':>10} {'p99 small':>10} {'p50 large':>10} {'p99 large':>10}"
    header += " p50 ratio  p99 ratio"
    log(f"\n{header}   (ms; small {args.small:,}, large {args.large:,}; target p99 ≤ {TARGET_MS:.0f} ms, ≤ 2x)")
    failed = []
    for name in names:
        s, big = small[name], large[name]
        ratio = big["p99"] / s["p99"] if s["p99"] else float("inf")
        ok = big["p99"] <= TARGET_MS and ratio <= TARGET_RATIO
        failed += [] if ok else [name]
        log(
            f"{name:<36} {big['rows']:>5.0f} {s['p50']:>10.1f} {s['p99']:>10.1f} {big['p50']:>10.1f}"
            f" {big['p99']:>10.1f} {big['p50'] / s['p50']:9.2f}x {ratio:9.2f}x {'ok' if ok else 'MISSED'}"
        )
    log("\nall targets met" if not failed else f"\ntargets missed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
