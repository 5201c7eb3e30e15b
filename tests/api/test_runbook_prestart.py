"""A runbook execution handed off to a worker goes in begun (runbooks/prestart.py): the job's transaction that hands it
off marks it running, so its handler runs the script with no begin transaction of its own; a worker that stops instead
gives it back queued, and another runs it once; what the hand-off cannot do (a missing secret) is left to the job.

Real PostgreSQL, real jobs in a fenced transaction, a real sandboxed script.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event, select, text

from tenantplane.jobs.registry import JobContext, handler_for, load_task_modules
from tenantplane.jobs.worker import ExecutionJobRunner, RunnerOptions
from tenantplane.runbooks.models import Runbook
from tenantplane.runbooks.prestart import PreparedStart
from tenantplane.runbooks.service import execute_runbook
from tenantplane.settings import Settings
from tests.api.conftest import TenantContext
from tests.api.sweep_runbooks import create_runbook, create_secret, wait_for_execution

OWNER = "prestart-test-worker"


async def _parent_job(app: FastAPI, tenant: TenantContext, settings: Settings) -> JobContext:
    """A job running under OWNER's lease whose transactions may hand a runbook job off (as a step job would)."""
    job_id = uuid.uuid4()
    async with app.state.db.transaction() as session:
        await session.execute(
            text(
                "INSERT INTO jobs (id, tenant_id, kind, status, attempts, lease_owner, lease_expires_at, started_at) "
                "VALUES (:id, :t, 'test.parent', 'running', 1, :owner, now() + interval '1 minute', now())"
            ),
            {"id": job_id, "t": tenant.id, "owner": OWNER},
        )
    return JobContext(
        *(job_id, "test.parent", tenant.id, {}, 1, 1, OWNER, app.state.db, settings),
        handoff_queues=("default",),
        handoff_lease=60.0,
    )


async def _hand_off(
    app: FastAPI, tenant: TenantContext, runbook_id: str, settings: Settings | None = None
) -> tuple[JobContext, uuid.UUID]:
    parent = await _parent_job(app, tenant, settings or app.state.settings)
    async with parent.transaction() as session:
        runbook = await session.scalar(select(Runbook).where(Runbook.id == uuid.UUID(runbook_id)))
        assert runbook is not None
        execution = await execute_runbook(session, actor=None, runbook=runbook, parameters={})
    assert len(parent.handed_off) == 1, "the runbook's job went in claimed by the parent's worker"
    return parent, execution.id


async def _row(app: FastAPI, sql: str, **binds: Any) -> Any:
    async with app.state.db.transaction() as session:
        return (await session.execute(text(sql), binds)).one()


@contextmanager
def _fences(app: FastAPI, job_id: uuid.UUID) -> Iterator[list[str]]:
    """The fenced transactions (lease checks) of one job, as they happen: a check, or the success that fences."""
    seen: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        fence = statement.startswith("SELECT 1 FROM jobs WHERE id") or (
            statement.startswith("UPDATE jobs SET status = 'succeeded'") and "RETURNING 1" in statement
        )
        if fence and params.get("id") == job_id:
            seen.append(statement)

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


async def test_a_handed_off_run_goes_in_begun_and_its_job_runs_the_script_in_one_transaction(
    app: FastAPI, tenant: TenantContext, client: httpx.AsyncClient
) -> None:
    load_task_modules()
    # No output, so no live-log transaction either: the one transaction left is the end's.
    runbook = await create_runbook(tenant, client, actions=[{"name": "exit", "type": "shell", "script": "exit 0"}])
    parent, execution_id = await _hand_off(app, tenant, runbook["id"])
    handed = parent.handed_off[0]
    assert isinstance(handed.prepared, PreparedStart)
    assert handed.prepared.execution_id == execution_id
    status, started = await _row(app, "SELECT status, started_at FROM executions WHERE id = :id", id=execution_id)
    assert status == "running", "committed begun, with the hand-off"
    assert started is not None
    step = await _row(app, "SELECT status, started_at FROM step_runs WHERE execution_id = :id", id=execution_id)
    assert step[0] == "running"
    assert step[1] is not None

    spec = handler_for(handed.kind)
    assert spec is not None
    ctx = JobContext(
        *(handed.id, handed.kind, handed.tenant_id, handed.payload, 1, handed.max_attempts),
        *(OWNER, app.state.db, app.state.settings),
        prepared=handed.prepared,
    )
    with _fences(app, handed.id) as fences:
        await spec.run(ctx)
    assert len(fences) == 1, "no begin transaction: only the one recording its end (and the job's success)"
    assert fences[0].startswith("UPDATE jobs"), "the end's fence records the job's success: one statement for both"
    assert ctx.succeeded
    body = await wait_for_execution(client, tenant.admin, str(execution_id))
    assert body["status"] == "succeeded", body
    assert body["steps"][0]["status"] == "succeeded"
    assert body["steps"][0]["exit_code"] == 0
    job = await _row(app, "SELECT status, attempts FROM jobs WHERE id = :id", id=handed.id)
    assert tuple(job) == ("succeeded", 1)


async def test_a_stopping_worker_gives_a_begun_hand_off_back_and_another_worker_runs_it_once(
    app: FastAPI, tenant: TenantContext, client: httpx.AsyncClient
) -> None:
    load_task_modules()
    runbook = await create_runbook(tenant, client, actions=[{"name": "say", "type": "shell", "script": "echo once"}])
    parent, execution_id = await _hand_off(app, tenant, runbook["id"])
    stopping = ExecutionJobRunner(app.state.db, RunnerOptions(), settings=app.state.settings)
    stopping.worker_id = OWNER
    assert await stopping._take_handoff(parent.handed_off[0], 1, stopping=True) is False
    status, started = await _row(app, "SELECT status, started_at FROM executions WHERE id = :id", id=execution_id)
    assert (status, started) == ("queued", None), "given back as if never begun"
    step = await _row(app, "SELECT status, started_at FROM step_runs WHERE execution_id = :id", id=execution_id)
    assert tuple(step) == ("pending", None)
    job = await _row(app, "SELECT status, lease_owner FROM jobs WHERE id = :id", id=parent.handed_off[0].id)
    assert tuple(job) == ("queued", None)

    options = RunnerOptions(concurrency=2, heartbeat_seconds=0.3, poll_seconds=0.2, lease_seconds=10.0)
    stop = asyncio.Event()
    task = asyncio.create_task(ExecutionJobRunner(app.state.db, options, settings=app.state.settings).run(stop))
    try:
        body = await wait_for_execution(client, tenant.admin, str(execution_id))
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)
    assert body["status"] == "succeeded", body
    assert [s["status"] for s in body["steps"]] == ["succeeded"]
    assert body["steps"][0]["log"].count("once") == 1


async def test_what_a_hand_off_cannot_start_is_left_to_the_job(
    app: FastAPI, tenant: TenantContext, client: httpx.AsyncClient, settings: Settings
) -> None:
    load_task_modules()
    await create_secret(tenant, client, "NEEDS_KEY", "value-of-the-secret")
    runbook = await create_runbook(
        tenant, client, actions=[{"name": "say", "type": "shell", "script": "true"}], secrets=["NEEDS_KEY"]
    )
    other_instance = Settings(**{**settings.model_dump(), "secret_key": "another-instance-key-" + "y" * 32})
    parent, execution_id = await _hand_off(app, tenant, runbook["id"], other_instance)
    handed = parent.handed_off[0]
    assert handed.prepared is None, "its secret cannot be read here: the job's own start says why"
    status = await _row(app, "SELECT status FROM executions WHERE id = :id", id=execution_id)
    assert status[0] == "queued"
    spec = handler_for(handed.kind)
    assert spec is not None
    ctx = JobContext(
        *(handed.id, handed.kind, handed.tenant_id, handed.payload, 1, handed.max_attempts),
        *(OWNER, app.state.db, other_instance),
    )
    await spec.run(ctx)
    body = await wait_for_execution(client, tenant.admin, str(execution_id))
    assert body["status"] == "failed"
    assert body["error"] == "cannot start: a stored secret cannot be decrypted with this instance's secret key"
