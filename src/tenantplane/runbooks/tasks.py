"""Job handlers of runbooks: `runbooks.execute` runs one queued execution (see runner.RunbookRun).

Two attempts, and the second never re-runs actions: it only fails a run its first attempt left behind.
"""

from __future__ import annotations

import asyncio
import uuid

import structlog

from tenantplane.jobs.registry import JobContext, job_handler, worker_maintenance
from tenantplane.kit.db import Database
from tenantplane.runbooks import network, orphans, slots
from tenantplane.runbooks.runner import RunbookRun, run_to_the_end
from tenantplane.settings import Settings

log = structlog.get_logger("tenantplane.runbooks")


# Scripts are not safely retryable, so a failed action is never retried. The second attempt exists for the
# case where the first one's worker died mid-run: the lease takeover hands the job back, and the second
# attempt finds the execution still `running` and fails it with that reason instead of leaving it stuck.
@job_handler("runbooks.execute", max_attempts=2, backoff_seconds=1.0, handoff=True)
async def execute_runbook(ctx: JobContext) -> None:
    await run_to_the_end(RunbookRun(ctx, uuid.UUID(str(ctx.payload["execution_id"]))))


@worker_maintenance
async def reap_orphaned_scripts(db: Database) -> None:
    """Scripts (and their background children) of workers that died without cleaning up are killed."""
    killed = await asyncio.to_thread(orphans.reap_orphans)
    if killed:
        log.warning("killed processes left behind by a dead worker", count=killed)
    live = {owner for _, owner, _, _ in await asyncio.to_thread(orphans.process_table)}
    if forgotten := await asyncio.to_thread(network.forget_finished_runs, live):
        log.warning("removed the network allowances of runs a dead worker left behind", count=forgotten)


@worker_maintenance
async def wake_stranded_runs(db: Database) -> None:
    """Runs left waiting while their tenant has a slot free (a wake lost with a crashed worker, a limit raised)."""
    await slots.wake_stranded(db, Settings())
