"""Job runner tests: an in-process ExecutionJobRunner on the test database, with fast timings."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import text

import tests.support.job_handlers as handlers
from tenantplane.jobs.worker import ExecutionJobRunner, RunnerOptions
from tenantplane.kit.db import Database


@pytest.fixture
async def db(clean_database: str) -> AsyncIterator[Database]:
    database = Database(clean_database)
    async with database.transaction() as session:
        await session.execute(text(handlers.CREATE_TABLE))
    yield database
    await database.dispose()


FAST = RunnerOptions(
    queues=["default"], concurrency=8, lease_seconds=2.0, heartbeat_seconds=0.3, poll_seconds=0.5, grace_seconds=2.0
)


class RunningWorker:
    def __init__(self, runner: ExecutionJobRunner, stop: asyncio.Event, task: asyncio.Task[None]) -> None:
        self.runner, self.stop, self.task = runner, stop, task

    async def close(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, timeout=30)


@pytest.fixture
async def start_worker(db: Database) -> AsyncIterator[Callable[..., RunningWorker]]:
    started: list[RunningWorker] = []

    def start(options: RunnerOptions = FAST, **changes: object) -> RunningWorker:
        opts = RunnerOptions(**{**options.__dict__, **changes})
        runner = ExecutionJobRunner(db, opts)
        stop = asyncio.Event()
        worker = RunningWorker(runner, stop, asyncio.create_task(runner.run(stop)))
        started.append(worker)
        return worker

    yield start
    for worker in started:
        await worker.close()


async def wait_for(predicate: Callable[[], object], timeout: float = 20.0, interval: float = 0.05) -> None:
    """Poll an async predicate until it is truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)
