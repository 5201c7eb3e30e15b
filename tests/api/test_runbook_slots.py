"""A tenant runs at most its limit of runbook executions at once; the rest wait in order, and other tenants' runs
never queue behind them (issue 14). Real workers, real sandboxed scripts, waiting on a file the test creates."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from tenantplane.jobs.worker import ExecutionJobRunner, RunnerOptions
from tenantplane.runbooks import slots
from tests.api.conftest import TenantContext, TenantFactory
from tests.api.sweep_runbooks import create_runbook, execute, wait_for_execution
from tests.api.test_platform import _platform_token
from tests.conftest import shared_with_runbooks
from tests.jobs.conftest import wait_for

WorkerFactory = Callable[..., AbstractAsyncContextManager[None]]


@pytest.fixture
def running_worker(app: FastAPI) -> WorkerFactory:
    @asynccontextmanager
    async def run() -> AsyncIterator[None]:
        options = RunnerOptions(
            concurrency=10, heartbeat_seconds=0.3, poll_seconds=0.2, lease_seconds=10.0, grace_seconds=0.2
        )
        stop = asyncio.Event()
        task = asyncio.create_task(ExecutionJobRunner(app.state.db, options, settings=app.state.settings).run(stop))
        try:
            yield
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=20)

    return run


async def _gated_runbook(tenant: TenantContext, client: httpx.AsyncClient) -> tuple[dict[str, Any], Any]:
    """A runbook whose script runs until the test opens its gate (a file in a directory shared with scripts)."""
    shared = shared_with_runbooks("tp-slots-")
    script = f"while [ ! -e {shared}/open ]; do sleep 0.05; done"
    runbook = await create_runbook(tenant, client, actions=[{"name": "hold", "type": "shell", "script": script}])
    return runbook, shared / "open"


async def _set_limit(app: FastAPI, tenant: TenantContext, limit: int | None) -> None:
    async with app.state.db.transaction() as session:
        await session.execute(
            text("UPDATE tenants SET max_running_runbooks = :limit WHERE id = :id"), {"limit": limit, "id": tenant.id}
        )


async def _statuses(app: FastAPI, tenant: TenantContext) -> dict[str, int]:
    async with app.state.db.transaction() as session:
        rows = await session.execute(
            text(
                "SELECT status, count(*) FROM jobs WHERE tenant_id = :id AND kind = 'runbooks.execute' GROUP BY status"
            ),
            {"id": tenant.id},
        )
    return {status: int(n) for status, n in rows}


async def _running(client: httpx.AsyncClient, tenant: TenantContext, ids: list[str]) -> int:
    found = 0
    for execution_id in ids:
        body = (await client.get(f"/api/executions/{execution_id}", headers=tenant.admin.headers)).json()
        found += body["status"] == "running"
    return found


async def test_a_tenant_at_its_limit_waits_in_order_while_another_tenant_runs(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: TenantContext,
    make_tenant: TenantFactory,
    running_worker: WorkerFactory,
) -> None:
    await _set_limit(app, tenant, 2)
    runbook, gate = await _gated_runbook(tenant, client)
    ids = [await execute(client, tenant.admin, runbook["id"]) for _ in range(5)]
    other = await make_tenant()
    other_runbook = await create_runbook(other, client)
    async with running_worker():
        await wait_for(lambda: _has(app, tenant, running=2, waiting=3))
        assert await _running(client, tenant, ids) == 2  # the other three are still queued executions
        async with app.state.db.transaction() as session:
            waiting = (
                await session.execute(
                    text(
                        "SELECT payload->>'execution_id', last_error FROM jobs "
                        "WHERE tenant_id = :id AND status = 'waiting'"
                    ),
                    {"id": tenant.id},
                )
            ).all()
        reason = waiting[0][1]
        held_ids = [i for i in ids if i in {row[0] for row in waiting}]  # in the order they were asked for
        assert reason == "waiting for a runbook slot: 2 of 2 running in this tenant"
        # The other tenant is not behind the held ones: its run starts and ends while they wait.
        other_done = await wait_for_execution(
            client, other.admin, await execute(client, other.admin, other_runbook["id"])
        )
        assert other_done["status"] == "succeeded"
        assert (await _statuses(app, tenant)).get("waiting") == 3
        gate.touch()
        finished = [await wait_for_execution(client, tenant.admin, i, timeout=30) for i in ids]
    assert [f["status"] for f in finished] == ["succeeded"] * 5
    starts = sorted((f["started_at"], f["finished_at"]) for f in finished)
    overlap = max(sum(1 for s, e in starts if s <= at < e) for at, _ in starts)
    assert overlap <= 2, starts
    assert len(held_ids) == 3
    assert await _statuses(app, tenant) == {"succeeded": 5}


async def _has(app: FastAPI, tenant: TenantContext, *, running: int, waiting: int) -> bool:
    statuses = await _statuses(app, tenant)
    return statuses.get("running", 0) == running and statuses.get("waiting", 0) == waiting


async def test_waiting_runs_start_in_the_order_they_were_asked_for(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext, running_worker: WorkerFactory
) -> None:
    await _set_limit(app, tenant, 1)  # one at a time: each end wakes exactly the oldest waiting run
    runbook, gate = await _gated_runbook(tenant, client)
    ids = [await execute(client, tenant.admin, runbook["id"]) for _ in range(4)]
    async with running_worker():
        await wait_for(lambda: _has(app, tenant, running=1, waiting=3))
        gate.touch()
        finished = [await wait_for_execution(client, tenant.admin, i, timeout=30) for i in ids]
    first = next(f for f in finished if f["started_at"] == min(g["started_at"] for g in finished))
    rest = sorted((f for f in finished if f is not first), key=lambda f: f["started_at"])
    assert [f["id"] for f in rest] == [i for i in ids if i != first["id"]]
    spans = sorted((f["started_at"], f["finished_at"]) for f in finished)
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans))


async def test_raising_the_limit_wakes_the_waiting_runs_at_the_next_housekeeping(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext, running_worker: WorkerFactory
) -> None:
    await _set_limit(app, tenant, 1)
    runbook, gate = await _gated_runbook(tenant, client)
    ids = [await execute(client, tenant.admin, runbook["id"]) for _ in range(3)]
    async with running_worker():
        await wait_for(lambda: _has(app, tenant, running=1, waiting=2))
        await _set_limit(app, tenant, None)  # back to the operator's default of 10
        await slots.wake_stranded(app.state.db, app.state.settings)
        await wait_for(lambda: _has(app, tenant, running=3, waiting=0))
        gate.touch()
        finished = [await wait_for_execution(client, tenant.admin, i, timeout=30) for i in ids]
    assert [f["status"] for f in finished] == ["succeeded"] * 3


async def test_a_cancelled_waiting_run_never_starts(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext, running_worker: WorkerFactory
) -> None:
    await _set_limit(app, tenant, 1)
    runbook, gate = await _gated_runbook(tenant, client)
    first, held = [await execute(client, tenant.admin, runbook["id"]) for _ in range(2)]
    async with running_worker():
        await wait_for(lambda: _has(app, tenant, running=1, waiting=1))
        cancel = await client.post(f"/api/executions/{held}/cancel", headers=tenant.admin.headers)
        assert cancel.status_code in (200, 202), cancel.text
        assert (await wait_for_execution(client, tenant.admin, held))["status"] == "cancelled"
        gate.touch()
        assert (await wait_for_execution(client, tenant.admin, first))["status"] == "succeeded"
    async with app.state.db.transaction() as session:
        started = await session.scalar(text("SELECT started_at FROM executions WHERE id = :id"), {"id": held})
    assert started is None


async def test_platform_admins_set_and_clear_a_tenants_limit(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    headers = await _platform_token(app, client)
    path = f"/api/platform/tenants/{tenant.id}"
    assert (await client.get(path, headers=headers)).json()["max_running_runbooks"] is None
    set_ = await client.patch(path, json={"max_running_runbooks": 3}, headers=headers)
    assert set_.status_code == 200
    assert set_.json()["max_running_runbooks"] == 3
    renamed = await client.patch(path, json={"name": "Renamed"}, headers=headers)
    assert renamed.json()["max_running_runbooks"] == 3  # a change of something else keeps it
    bad = await client.patch(path, json={"max_running_runbooks": -1}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"].endswith("max_running_runbooks")
    cleared = await client.patch(path, json={"max_running_runbooks": None}, headers=headers)
    assert cleared.json()["max_running_runbooks"] is None
    by_tenant_admin = await client.patch(path, json={"max_running_runbooks": 100}, headers=tenant.admin.headers)
    assert by_tenant_admin.status_code == 403
