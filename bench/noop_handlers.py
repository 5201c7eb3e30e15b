"""No-op job handler for the queue benchmark (workers load it with `--import bench.noop_handlers`)."""

from __future__ import annotations

from tenantplane.jobs.registry import JobContext, job_handler


@job_handler("bench.noop", max_attempts=1)
async def noop(ctx: JobContext) -> None:
    return None
