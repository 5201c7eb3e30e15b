"""What each step type does when the engine starts it: evaluate a condition, notify, run a runbook, wait.

Called by the automation job handlers inside their fenced transactions; results go back through `apply_event`.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.automation import engine
from tenantplane.automation.engine.expressions import TemplateFailed
from tenantplane.automation.runs.effects import condition_outcome
from tenantplane.automation.runs.runbook_steps import runbook_runs, start_runbook
from tenantplane.automation.runs.service import apply_event, apply_loaded
from tenantplane.automation.runs.state import CANCEL_STEP, RUN_STEP, LoadedRun, load_run, load_run_of_step
from tenantplane.executions import service as executions
from tenantplane.executions.models import FINISHED_STATUSES, WORKFLOW_STEP_ORIGIN, Execution, StepRun
from tenantplane.jobs.queue import enqueue
from tenantplane.kit.errors import DomainError
from tenantplane.notifications.service import notify
from tenantplane.settings import Settings


async def perform_step(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    execution_id: uuid.UUID,
    step_id: str,
    attempt: int,
    run: int = 1,
    settings: Settings | None = None,
) -> None:
    """Do the step's work if the step still runs this attempt (a redelivered job does nothing).

    `run` numbers the runbook runs of one attempt (retries): a run that already started is not started again.
    With the job's `settings`, a runbook of inline built-ins (`echo`) runs to its end in this transaction.
    """
    loaded = await load_run(session, tenant_id, execution_id)
    current = loaded.state.steps.get(step_id)
    if current is None or current.status != "running" or current.attempt != attempt:
        return
    step_type = loaded.graph.step(step_id).type
    await loaded.load_step_runs(session, [step_id])
    if step_type == "runbook" and await runbook_runs(session, loaded.step_runs[step_id]) >= run:
        return
    if step_type == "condition":  # normally evaluated inline (service.apply_loaded); a job after the limit
        event, reason = await condition_outcome(loaded, step_id, attempt)
        await apply_loaded(session, loaded, event, reason=reason, inline=True)
        return
    config, context = loaded.config(step_id), loaded.context()
    try:
        if step_type == "runbook":
            await start_runbook(session, loaded, step_id, config, context, settings=settings)
            return
        outputs = await _notify(session, loaded, config, context)
    except (TemplateFailed, DomainError) as error:
        await _finish(session, loaded, step_id, attempt, "failed", {}, reason=str(error))
        return
    await _finish(session, loaded, step_id, attempt, "succeeded", outputs)


async def _finish(
    session: AsyncSession,
    loaded: LoadedRun,
    step_id: str,
    attempt: int,
    status: Any,
    outputs: dict[str, Any],
    reason: str | None = None,
) -> None:
    """Finish the step in the transaction that loaded (and locked) the execution; inline steps follow."""
    event = engine.StepFinished(step_id, status, outputs=outputs, attempt=attempt)
    await apply_loaded(session, loaded, event, reason=reason, inline=True)


async def _notify(
    session: AsyncSession, loaded: LoadedRun, config: dict[str, Any], context: dict[str, Any]
) -> dict[str, Any]:
    deliveries = await notify(
        session,
        tenant_id=loaded.execution.tenant_id,
        channel=config["channel"],
        subject=config["subject"],
        body=config.get("body", ""),
        context=context,
        link=f"/executions/{loaded.execution.id}",
    )
    return {"deliveries": len(deliveries)}


async def runbook_finished(session: AsyncSession, child: Execution) -> None:
    """A step's runbook execution ended: retry it if the step allows, else finish the step with its result."""
    assert child.origin_id is not None
    found = await load_run_of_step(session, child.tenant_id, child.origin_id)
    if found is None:
        return
    loaded, step_run = found
    assert step_run.step_id is not None
    step_id, attempt = step_run.step_id, step_run.attempt
    run = loaded.state.steps[step_id]
    if run.status != "running" or run.attempt != attempt:
        return
    if child.status != "succeeded" and child.status != "cancelled" and await _retry_runbook(session, loaded, step_run):
        return
    status: Literal["succeeded", "failed"] = "succeeded" if child.status == "succeeded" else "failed"
    reason = (
        None if status == "succeeded" else f"runbook execution {child.id} {child.status}: {child.error or ''}".strip()
    )
    if loaded.finished_inline is not None:  # it ran inline in a transition: that applies the step's end next
        event = engine.StepFinished(step_id, status, outputs=dict(child.outputs), attempt=attempt)
        loaded.finished_inline.append((event, reason))
        return
    await _finish(session, loaded, step_id, attempt, status, dict(child.outputs), reason=reason)


async def _retry_runbook(session: AsyncSession, loaded: LoadedRun, step_run: StepRun) -> bool:
    """Schedule another run of the step's runbook when its `retries.count` is not used up."""
    retries = loaded.config(step_run.step_id or "").get("retries") or {}
    count = int(retries.get("count", 0))
    tries = await runbook_runs(session, step_run)
    if not tries or tries > count:
        return False
    delay = float(retries.get("backoff", 0)) * 2 ** (tries - 1)
    payload = {
        "execution_id": str(step_run.execution_id),
        "step_id": step_run.step_id,
        "attempt": step_run.attempt,
        "run": tries + 1,
    }
    key = f"{RUN_STEP}:{step_run.execution_id}:{step_run.step_id}:{step_run.attempt}:run{tries + 1}"
    await enqueue(
        session, kind=RUN_STEP, payload=payload, tenant_id=step_run.tenant_id, delay_seconds=delay, dedupe_key=key
    )
    return True


async def timer_fired(session: AsyncSession, *, tenant_id: uuid.UUID, payload: dict[str, Any]) -> None:
    execution_id, step_id, attempt = uuid.UUID(payload["execution_id"]), payload["step_id"], int(payload["attempt"])
    if payload.get("error"):
        event: engine.Event = engine.StepFinished(step_id, "failed", attempt=attempt)
        await apply_event(
            session, tenant_id=tenant_id, execution_id=execution_id, event=event, reason=payload["error"], inline=True
        )
        return
    event = engine.TimerFired(step_id, attempt=attempt)
    await apply_event(session, tenant_id=tenant_id, execution_id=execution_id, event=event, inline=True)


async def runbook_step_timed_out(session: AsyncSession, *, tenant_id: uuid.UUID, payload: dict[str, Any]) -> None:
    """The step's `timeout_seconds` passed: fail the step now; its runbook execution is cancelled."""
    execution_id, step_id, attempt = uuid.UUID(payload["execution_id"]), payload["step_id"], int(payload["attempt"])
    loaded = await load_run(session, tenant_id, execution_id)
    run = loaded.state.steps.get(step_id)
    if run is None or run.status != "running" or run.attempt != attempt:
        return
    reason = f"the step's timeout_seconds ({loaded.config(step_id).get('timeout_seconds')}) ran out"
    await _finish(session, loaded, step_id, attempt, "failed", {}, reason=reason)
    await loaded.load_step_runs(session, [step_id])
    payload = {"execution_id": str(execution_id), "step_run_id": str(loaded.step_runs[step_id].id)}
    await enqueue(session, kind=CANCEL_STEP, payload=payload, tenant_id=tenant_id)


async def cancel_step_runbooks(session: AsyncSession, *, tenant_id: uuid.UUID, step_run_id: uuid.UUID) -> None:
    """Cancel the unfinished runbook executions a step started (their workers kill the scripts)."""
    stmt = select(Execution).where(
        Execution.tenant_id == tenant_id,
        Execution.origin_type == WORKFLOW_STEP_ORIGIN,
        Execution.origin_id == step_run_id,
        Execution.status.not_in(FINISHED_STATUSES),
    )
    for child in (await session.scalars(stmt)).all():
        await executions.request_cancel(session, child, reason="the workflow step was cancelled")
