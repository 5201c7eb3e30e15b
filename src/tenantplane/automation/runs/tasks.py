"""Job handlers of the execution job runner: run a step, fire a delay, remind, escalate or time out a gate, time out
or cancel a step.

Each records its result, and its job's success, in the job's one fenced transaction; the engine ignores redelivered
events.
"""

from __future__ import annotations

import uuid

from tenantplane.automation.runs import gate_escalation, gates, steps
from tenantplane.automation.runs.state import (
    CANCEL_STEP,
    GATE_ESCALATE,
    GATE_REMIND,
    GATE_TIMEOUT,
    GATE_UNDECIDABLE,
    RUN_STEP,
    STEP_TIMEOUT,
    TIMER,
)
from tenantplane.jobs.registry import JobContext, PermanentFailure, job_handler


def _tenant(ctx: JobContext) -> uuid.UUID:
    if ctx.tenant_id is None:
        raise PermanentFailure("automation jobs belong to a tenant")
    return ctx.tenant_id


@job_handler(RUN_STEP, max_attempts=5, backoff_seconds=1.0)
async def run_step(ctx: JobContext) -> None:
    async with ctx.transaction(succeed=True) as session:
        await steps.perform_step(
            session,
            tenant_id=_tenant(ctx),
            execution_id=uuid.UUID(ctx.payload["execution_id"]),
            step_id=ctx.payload["step_id"],
            attempt=int(ctx.payload["attempt"]),
            run=int(ctx.payload.get("run", 1)),
            settings=ctx.settings,
        )


@job_handler(TIMER, max_attempts=10, backoff_seconds=1.0)
async def fire_timer(ctx: JobContext) -> None:
    async with ctx.transaction(succeed=True) as session:
        await steps.timer_fired(session, tenant_id=_tenant(ctx), payload=ctx.payload)


@job_handler(GATE_TIMEOUT, max_attempts=10, backoff_seconds=1.0)
async def time_out_gate(ctx: JobContext) -> None:
    async with ctx.transaction(succeed=True) as session:
        await gates.gate_timed_out(session, tenant_id=_tenant(ctx), gate_id=uuid.UUID(ctx.payload["gate_id"]))


@job_handler(GATE_REMIND, max_attempts=10, backoff_seconds=1.0)
async def remind_gate(ctx: JobContext) -> None:
    async with ctx.transaction(succeed=True) as session:
        await gate_escalation.remind_gate(session, tenant_id=_tenant(ctx), payload=ctx.payload)


@job_handler(GATE_ESCALATE, max_attempts=10, backoff_seconds=1.0)
async def escalate_gate(ctx: JobContext) -> None:
    async with ctx.transaction(succeed=True) as session:
        await gate_escalation.escalate_gate(session, tenant_id=_tenant(ctx), gate_id=uuid.UUID(ctx.payload["gate_id"]))


@job_handler(GATE_UNDECIDABLE, max_attempts=10, backoff_seconds=1.0)
async def fail_undecidable_gate(ctx: JobContext) -> None:
    async with ctx.transaction(succeed=True) as session:
        await gates.gate_undecidable(session, tenant_id=_tenant(ctx), payload=ctx.payload)


@job_handler(STEP_TIMEOUT, max_attempts=10, backoff_seconds=1.0)
async def time_out_step(ctx: JobContext) -> None:
    async with ctx.transaction(succeed=True) as session:
        await steps.runbook_step_timed_out(session, tenant_id=_tenant(ctx), payload=ctx.payload)


@job_handler(CANCEL_STEP, max_attempts=10, backoff_seconds=1.0)
async def cancel_step(ctx: JobContext) -> None:
    async with ctx.transaction(succeed=True) as session:
        await steps.cancel_step_runbooks(
            session, tenant_id=_tenant(ctx), step_run_id=uuid.UUID(ctx.payload["step_run_id"])
        )
