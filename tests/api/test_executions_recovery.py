"""Nothing stays `running` after a worker dies or stops mid-run, and no action is ever run twice.

Workers are started by hand here, so each test decides when one stops and when the next one starts.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from tenantplane.jobs.worker import ExecutionJobRunner, RunnerOptions
from tenantplane.settings import Settings
from tests.api.conftest import TenantContext
from tests.api.sweep_runbooks import create_runbook, create_secret, execute, wait_for_execution
from tests.conftest import shared_with_runbooks

WorkerFactory = Callable[..., AbstractAsyncContextManager[None]]


@pytest.fixture
def running_worker(app: FastAPI) -> WorkerFactory:
    @asynccontextmanager
    async def run(settings: Settings | None = None) -> AsyncIterator[None]:
        options = RunnerOptions(heartbeat_seconds=0.3, poll_seconds=0.2, lease_seconds=5.0, grace_seconds=0.2)
        stop = asyncio.Event()
        runner = ExecutionJobRunner(app.state.db, options, settings=settings or app.state.settings)
        task = asyncio.create_task(runner.run(stop))
        try:
            yield
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=15)

    return run


async def test_a_run_left_running_by_a_dead_worker_is_failed_with_the_reason_not_rerun(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext, running_worker: WorkerFactory
) -> None:
    marker = Path(tempfile.gettempdir()) / f"tp-rerun-{uuid.uuid4().hex}"
    runbook = await create_runbook(
        tenant, client, actions=[{"name": "once", "type": "shell", "script": f"touch {marker}"}]
    )
    execution_id = await execute(client, tenant.admin, runbook["id"])
    async with app.state.db.transaction() as session:  # what a lease takeover leaves behind
        await session.execute(
            text("UPDATE executions SET status = 'running', started_at = now() WHERE id = :id"), {"id": execution_id}
        )
        await session.execute(
            text("UPDATE step_runs SET status = 'running', started_at = now() WHERE execution_id = :id"),
            {"id": execution_id},
        )
        await session.execute(
            text(
                "UPDATE jobs SET status = 'failed', attempts = 1, "
                "last_error = 'lease expired: worker w-1 stopped renewing it' "
                "WHERE payload->>'execution_id' = :id"
            ),
            {"id": execution_id},
        )
    async with running_worker():
        done = await wait_for_execution(client, tenant.admin, execution_id)
    assert done["status"] == "failed"
    assert done["error"].startswith("interrupted: the worker running it stopped")
    assert "lease expired: worker w-1" in done["error"]
    assert done["steps"][0]["status"] == "failed"
    assert not marker.exists()


async def test_a_worker_stopping_mid_run_kills_the_script_and_the_next_worker_does_not_rerun_it(
    client: httpx.AsyncClient, tenant: TenantContext, running_worker: WorkerFactory
) -> None:
    shared = shared_with_runbooks("tp-test-")
    script = f"echo run >> {shared}/runs; sleep 2; touch {shared}/finished"
    runbook = await create_runbook(tenant, client, actions=[{"name": "slow", "type": "shell", "script": script}])
    execution_id = await execute(client, tenant.admin, runbook["id"])
    async with running_worker():
        await wait_for_execution(client, tenant.admin, execution_id, until=frozenset({"running"}))
        await asyncio.sleep(0.3)
    stopped = await wait_for_execution(client, tenant.admin, execution_id, timeout=1)
    assert stopped["status"] == "failed"
    assert stopped["steps"][0]["reason"].startswith("interrupted")
    async with running_worker():
        for _ in range(50):
            jobs = await client.get("/api/jobs", params={"kind": "runbooks.execute"}, headers=tenant.admin.headers)
            if jobs.json()["items"][0]["status"] == "succeeded":
                break
            await asyncio.sleep(0.1)
    assert jobs.json()["items"][0]["status"] == "succeeded"
    await asyncio.sleep(2.2)  # past the moment a re-run or a surviving script would have written
    assert (shared / "runs").read_text() == "run\n"
    assert not (shared / "finished").exists()
    for child in shared.iterdir():
        child.unlink()
    shared.rmdir()


async def test_a_worker_with_another_secret_key_fails_the_run_saying_so(
    client: httpx.AsyncClient,
    tenant: TenantContext,
    running_worker: WorkerFactory,
    settings: Settings,
) -> None:
    await create_secret(tenant, client, "NEEDS_KEY", "value-of-the-secret")
    runbook = await create_runbook(tenant, client, secrets=["NEEDS_KEY"])
    execution_id = await execute(client, tenant.admin, runbook["id"])
    other_instance = Settings(**{**settings.model_dump(), "secret_key": "another-instance-key-" + "y" * 32})
    async with running_worker(other_instance):
        done = await wait_for_execution(client, tenant.admin, execution_id)
    assert done["status"] == "failed"
    assert done["error"] == "cannot start: a stored secret cannot be decrypted with this instance's secret key"
    assert [s["status"] for s in done["steps"]] == ["skipped"]
