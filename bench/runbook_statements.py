"""Statements, commits and jobs per runbook step: a chain of N runbook steps (`echo` or shell `true`) on an in-process
worker, every statement of its engine counted. Deterministic where bench.engine's timings are not (a busy machine).

Run on demand: `.venv/bin/python -m bench.runbook_statements 10 echo` (or `10 shell`).
"""

from __future__ import annotations

import asyncio
import collections
import sys

import psycopg
from sqlalchemy import event

from bench.common import DEFAULT_SERVER, scratch_database
from bench.engine import principal
from tenantplane.automation.definitions.schemas import WorkflowWrite
from tenantplane.automation.definitions.service import create_workflow
from tenantplane.automation.runs.service import execute_workflow
from tenantplane.identity.service import bootstrap
from tenantplane.jobs.registry import load_task_modules
from tenantplane.jobs.worker import ExecutionJobRunner, RunnerOptions
from tenantplane.kit.db import Database
from tenantplane.runbooks.schemas import RunbookWrite
from tenantplane.runbooks.service import create_runbook
from tenantplane.settings import Settings

N, KIND = (int(sys.argv[1]), sys.argv[2]) if len(sys.argv) > 2 else (10, "echo")


async def main(url: str) -> None:
    load_task_modules()
    db = Database(url)
    async with db.transaction() as s:
        _t, admin, _ = await bootstrap(s, slug="p", admin_email="a@p.example", admin_password="x" * 16)
    actor = principal(admin)
    if KIND == "echo":
        data = RunbookWrite(
            name="rb",
            parameters={"type": "object", "properties": {"n": {"type": "string"}}},
            actions=[{"name": "e", "type": "echo", "values": {"n": "{{ parameters.n }}"}}],
        )
    else:
        data = RunbookWrite(name="rb", actions=[{"name": "e", "type": "shell", "script": "true"}])
    async with db.transaction() as s:
        rb = await create_runbook(s, actor=actor, data=data)
        steps = [
            {
                "id": f"r{i:03d}",
                "type": "runbook",
                "config": {"runbook_id": str(rb.id), **({"parameters": {"n": str(i)}} if KIND == "echo" else {})},
            }
            for i in range(N)
        ]
        wf = await create_workflow(s, actor=actor, data=WorkflowWrite.model_validate({"name": "w", "steps": steps}))
    counts: collections.Counter[str] = collections.Counter()
    event.listen(
        db.engine.sync_engine, "before_cursor_execute", lambda c, cu, st, p, ctx, em: counts.update([st.split()[0]])
    )
    event.listen(db.engine.sync_engine, "commit", lambda c: counts.update(["COMMIT"]))
    runner = ExecutionJobRunner(db, RunnerOptions(concurrency=10), settings=Settings(database_url=url))
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    await asyncio.sleep(1.0)
    counts.clear()
    async with db.transaction() as s:
        ex = await execute_workflow(s, actor=actor, tenant_id=actor.tenant_id, workflow_id=wf.id, inputs={})
    with psycopg.connect(url, autocommit=True) as conn:
        while conn.execute("SELECT status FROM executions WHERE id=%s", (ex.id,)).fetchone()[0] not in (
            "succeeded",
            "failed",
        ):
            await asyncio.sleep(0.05)
        status = conn.execute("SELECT status FROM executions WHERE id=%s", (ex.id,)).fetchone()[0]
        jobs = conn.execute("SELECT count(*) FROM jobs").fetchone()[0]
    await asyncio.sleep(0.3)
    stop.set()
    await task
    await db.dispose()
    total = sum(v for k, v in counts.items() if k != "COMMIT")
    per_step = f"{total / N:.1f} statements, {counts['COMMIT'] / N:.1f} commits, {jobs / N:.2f} jobs"
    print(f"{KIND} x{N}: {status}; per step: {per_step}  ({dict(counts)})")


if __name__ == "__main__":
    with scratch_database(DEFAULT_SERVER) as url:
        asyncio.run(main(url))
