"""Job handlers of service levels: the warning and breach timers of SLA clocks.

Each runs in one fenced transaction; `timers.fire` locks the clock, so duplicates and late runs are no-ops.
"""

from __future__ import annotations

import uuid

import structlog

from tenantplane.jobs.registry import JobContext, PermanentFailure, job_handler
from tenantplane.sla import timers
from tenantplane.sla.clocks import BREACH_JOB, WARN_JOB
from tenantplane.sla.hooks import Moment

log = structlog.get_logger("tenantplane.sla")


async def _fire(ctx: JobContext, moment: Moment) -> None:
    if ctx.tenant_id is None or "clock_id" not in ctx.payload:
        raise PermanentFailure("an SLA timer needs a tenant and a clock_id")
    clock_id = uuid.UUID(ctx.payload["clock_id"])
    async with ctx.transaction() as session:
        outcome = await timers.fire(session, tenant_id=ctx.tenant_id, clock_id=clock_id, moment=moment)
    log.info("sla timer", moment=moment, clock=str(clock_id), outcome=outcome)


@job_handler(WARN_JOB)
async def warn(ctx: JobContext) -> None:
    await _fire(ctx, "warning")


@job_handler(BREACH_JOB)
async def breach(ctx: JobContext) -> None:
    await _fire(ctx, "breach")
