"""Several in-process job workers on the app's database at once, for tests of timers that must fire exactly once
however many workers race for them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tenantplane.jobs.registry import load_task_modules
from tenantplane.jobs.worker import ExecutionJobRunner, RunnerOptions

DUPLICATE_JOB = """
    INSERT INTO jobs (tenant_id, kind, queue, payload, run_at, max_attempts, backoff_seconds)
    SELECT tenant_id, kind, queue, payload, run_at, max_attempts, backoff_seconds FROM jobs
    WHERE kind = :kind AND payload->>:key = :id
    LIMIT 1
"""
"""A second job for the same due time (as a redelivery or a double schedule would give); binds kind, key, id."""


@asynccontextmanager
async def racing_workers(app: FastAPI, count: int) -> AsyncIterator[None]:
    """`count` workers polling fast, stopped when the block ends."""
    load_task_modules()
    options = RunnerOptions(
        queues=["default"], concurrency=4, lease_seconds=5.0, heartbeat_seconds=0.5, poll_seconds=0.2, grace_seconds=5
    )
    stop = asyncio.Event()
    runners = [ExecutionJobRunner(app.state.db, options, settings=app.state.settings) for _ in range(count)]
    tasks = [asyncio.create_task(runner.run(stop)) for runner in runners]
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
