"""Job handlers of runbooks: `runbooks.execute` runs one queued execution (see runner.RunbookRun).

Two attempts, and the second never re-runs actions: it only fails a run its first attempt left behind.
"""

from __future__ import annotations

import uuid

from tenantplane.jobs.registry import JobContext, job_handler
from tenantplane.runbooks.runner import RunbookRun, run_to_the_end


# Scripts are not safely retryable, so a failed action is never retried. The second attempt exists for the
# case where the first one's worker died mid-run: the lease takeover hands the job back, and the second
# attempt finds the execution still `running` and fails it with that reason instead of leaving it stuck.
@job_handler("runbooks.execute", max_attempts=2, backoff_seconds=1.0)
async def execute_runbook(ctx: JobContext) -> None:
    await run_to_the_end(RunbookRun(ctx, uuid.UUID(str(ctx.payload["execution_id"]))))
