"""A schedule trigger fires once per due time with three real `tenantplane worker` processes competing for it,
even when its fire job was queued three times (as if three processes had each armed it)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from tenantplane.automation.definitions.schemas import WorkflowWrite
from tenantplane.automation.definitions.service import create_workflow
from tenantplane.automation.triggers import schedule
from tenantplane.automation.triggers import service as triggers
from tenantplane.identity.auth import Principal
from tenantplane.identity.service import bootstrap
from tenantplane.kit.db import Database
from tenantplane.runbooks.schemas import RunbookWrite
from tenantplane.runbooks.service import create_runbook
from tests.system.test_automation_crashes import _rows, _stop, _until, _worker

pytestmark = pytest.mark.system


async def _schedule(url: str) -> tuple[uuid.UUID, datetime]:
    """A tenant, a one-step workflow and an every-minute schedule on it; returns the trigger and its due time."""
    db = Database(url)
    try:
        async with db.transaction() as session:
            tenant, user, _ = await bootstrap(
                session, slug=f"t-{uuid.uuid4().hex[:8]}", admin_email="admin@example.com", admin_password="x" * 16
            )
            actor = Principal(
                kind="user", id=user.id, label=user.email, tenant_id=tenant.id,
                roles=frozenset(user.roles), via="test", user=user,
            )  # fmt: skip
            runbook = await create_runbook(
                session,
                actor=actor,
                data=RunbookWrite(name="tick", actions=[{"name": "t", "type": "shell", "script": "true"}]),
            )
            steps = [{"id": "tick", "type": "runbook", "config": {"runbook_id": str(runbook.id)}}]
            workflow = await create_workflow(
                session, actor=actor, data=WorkflowWrite.model_validate({"name": "every minute", "steps": steps})
            )
            trigger, _ = await triggers.create_trigger(
                session, actor=actor, workflow_id=workflow.id, kind="schedule", config={"cron": "* * * * *"}
            )
            assert trigger.next_fire_at is not None
            return trigger.id, trigger.next_fire_at
    finally:
        await db.dispose()


async def test_a_due_time_fires_once_with_three_worker_processes(clean_database: str, tmp_path: Path) -> None:
    url = clean_database
    trigger_id, due = await _schedule(url)
    soon = datetime.now(UTC) + timedelta(seconds=3)
    with psycopg.connect(url) as conn:
        # Bring the due time's job forward to when all three workers are up, and queue it twice more without
        # the dedupe key: only the firing row's unique (trigger, due time) stands between them and more runs.
        conn.execute("UPDATE jobs SET run_at = %s WHERE kind = %s", (soon, schedule.SCHEDULE_FIRE))
        conn.execute(
            "INSERT INTO jobs (tenant_id, kind, queue, payload, run_at, max_attempts, backoff_seconds) "
            "SELECT tenant_id, kind, queue, payload, run_at, max_attempts, backoff_seconds FROM jobs "
            "CROSS JOIN generate_series(1, 2) WHERE kind = %s",
            (schedule.SCHEDULE_FIRE,),
        )
    workers = [_worker(url, tmp_path / f"w{i}") for i in range(3)]
    try:
        _until(
            lambda: (
                _rows(url, "SELECT count(*) FROM jobs WHERE kind = %s AND status = 'succeeded'", schedule.SCHEDULE_FIRE)
                == [(3,)]
            ),
            "the three fire jobs to run",
            60,
        )
        _until(
            lambda: _rows(url, "SELECT status FROM executions WHERE kind = 'workflow'") == [("succeeded",)],
            "the fired workflow to finish",
            60,
        )
        time.sleep(1.5)  # every chance for a duplicate to show up
    finally:
        for worker in workers:
            _stop(worker)
    executions = _rows(url, "SELECT id FROM executions WHERE origin_type = 'trigger' AND origin_id = %s", trigger_id)
    assert len(executions) == 1, executions
    assert _rows(url, "SELECT due_at FROM workflow_trigger_firings") == [(due,)]
    queued = _rows(
        url, "SELECT payload->>'due_at' FROM jobs WHERE kind = %s AND status = 'queued'", schedule.SCHEDULE_FIRE
    )
    assert queued == [((due + timedelta(minutes=1)).isoformat(),)], "the next due time must be armed exactly once"
