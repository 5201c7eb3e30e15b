"""Turning one engine transition into rows and jobs: step runs and the execution's status synced, effects performed.

Below `service.apply_event` (which calls it): nothing here applies an event itself. Inline steps (a condition, a zero
delay) get their outcome here too, the same event a job would apply.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from tenantplane.automation import engine
from tenantplane.automation.engine import ExecutionState
from tenantplane.automation.engine.expressions import TemplateFailed, evaluate_async
from tenantplane.automation.runs.gate_opening import open_gate
from tenantplane.automation.runs.models import ApprovalGate
from tenantplane.automation.runs.state import (
    CANCEL_STEP,
    GATE_TIMEOUT,
    GATE_UNDECIDABLE,
    RUN_STEP,
    STEP_TIMEOUT,
    TIMER,
    LoadedRun,
    now,
)
from tenantplane.automation.runs.timers import schedule_timer
from tenantplane.executions import service as executions
from tenantplane.jobs.models import Job
from tenantplane.jobs.queue import enqueue


def runs_inline(loaded: LoadedRun, effect: engine.Effect) -> bool:
    if isinstance(effect, engine.RunStep):
        return loaded.graph.step(effect.step_id).type == "condition"
    if isinstance(effect, engine.ScheduleTimer):
        seconds = loaded.compiled.configs[effect.step_id].get("seconds")
        return isinstance(seconds, int | float) and seconds <= 0
    return False


async def condition_outcome(loaded: LoadedRun, step_id: str, attempt: int) -> tuple[engine.StepFinished, str | None]:
    """Evaluate a condition step: `StepFinished` with `outputs.result`, or failed with the reason."""
    try:
        result = await evaluate_async(loaded.compiled.configs[step_id]["expression"], loaded.context())
    except TemplateFailed as error:
        return engine.StepFinished(step_id, "failed", outputs={}, attempt=attempt), str(error)
    return engine.StepFinished(step_id, "succeeded", outputs={engine.CONDITION_RESULT: result}, attempt=attempt), None


async def inline_outcome(
    loaded: LoadedRun, effect: engine.RunStep | engine.ScheduleTimer
) -> tuple[engine.StepEvent, str | None]:
    """The event a job would apply for an inline step (a condition's result, a zero delay's timer)."""
    if isinstance(effect, engine.RunStep):
        return await condition_outcome(loaded, effect.step_id, effect.attempt)
    return engine.TimerFired(effect.step_id, attempt=effect.attempt), None


_STEP_RUN_COLUMNS = ("status", "attempt", "outputs", "started_at", "finished_at", "reason")


def sync_step_runs(loaded: LoadedRun, before: ExecutionState, state: ExecutionState) -> None:
    stamp = now()  # one time per transition: a step started by another's end never seems to start before it
    for step_id, run in state.steps.items():
        if before.steps.get(step_id) is run:  # the engine keeps the StepRun of every step it did not change
            continue
        row = loaded.step_runs[step_id]
        if row.status == run.status and row.attempt == run.attempt:
            continue
        if run.status in ("running", "waiting") and (row.attempt != run.attempt or row.status == "pending"):
            row.started_at, row.finished_at, row.reason = stamp, None, None
        elif run.status == "pending":
            row.started_at, row.finished_at, row.reason = None, None, None
        elif run.status in engine.FINISHED_STEP_STATUSES:
            row.finished_at = stamp
            if run.status == "skipped":
                row.reason = row.reason or "not run: no incoming edge was taken"
        row.status, row.attempt, row.outputs = run.status, run.attempt, dict(run.outputs)
        for column in _STEP_RUN_COLUMNS:  # one UPDATE shape for every changed row: the flush batches them
            flag_modified(row, column)


async def sync_status(session: AsyncSession, loaded: LoadedRun, state: ExecutionState, *, retrying: bool) -> None:
    execution = loaded.execution
    target = state.status
    if execution.status == target:
        return

    async def move(to: str, **extra: Any) -> None:
        await executions.move(
            session, tenant_id=execution.tenant_id, execution_id=execution.id, to=to, locked=execution, **extra
        )

    if retrying:
        await move("running", reopen=True)
    elif execution.status == "queued" and target not in ("running", "cancelled", "failed"):
        await move("running")
    if execution.status == target:
        return
    if target in engine.FINISHED_EXECUTION_STATUSES:
        outputs = {step_id: dict(run.outputs) for step_id, run in state.steps.items() if run.outputs}
        await move(target, error=_error_of(state, target), outputs=outputs)
    else:
        await move(target)


def _error_of(state: ExecutionState, status: str) -> str | None:
    if status == "succeeded":
        return None
    if status == "cancelled":
        return "cancelled"
    ended = [step_id for step_id, run in state.steps.items() if run.status in ("failed", "rejected", "timed_out")]
    return f"{status}: step {', '.join(repr(s) for s in ended)} ended it with no edge to handle it"


async def perform(session: AsyncSession, loaded: LoadedRun, effect: engine.Effect) -> None:
    execution = loaded.execution
    payload: dict[str, Any] = {"execution_id": str(execution.id)}
    if isinstance(effect, engine.RunStep):
        payload |= {"step_id": effect.step_id, "attempt": effect.attempt}
        key = f"{RUN_STEP}:{execution.id}:{effect.step_id}:{effect.attempt}"
        await enqueue(session, kind=RUN_STEP, payload=payload, tenant_id=execution.tenant_id, dedupe_key=key)
    elif isinstance(effect, engine.ScheduleTimer):
        await schedule_timer(session, loaded, effect.step_id, effect.attempt)
    elif isinstance(effect, engine.OpenApprovalGate):
        await open_gate(session, loaded, effect.step_id, effect.attempt)
    elif isinstance(effect, engine.CancelSteps):
        await cancel_steps(session, loaded, effect.step_ids)


async def cancel_steps(session: AsyncSession, loaded: LoadedRun, step_ids: tuple[str, ...]) -> None:
    """Close the steps' gates and waiting jobs now; their runbook executions are cancelled by a job."""
    execution = loaded.execution
    await loaded.load_step_runs(session, step_ids)
    await session.execute(
        update(ApprovalGate)
        .where(
            ApprovalGate.tenant_id == execution.tenant_id,
            ApprovalGate.execution_id == execution.id,
            ApprovalGate.step_id.in_(step_ids),
            ApprovalGate.status == "pending",
        )
        .values(status="cancelled", decided_at=now())
    )
    await session.execute(
        update(Job)
        .where(
            Job.tenant_id == execution.tenant_id,
            Job.kind.in_((RUN_STEP, TIMER, GATE_TIMEOUT, GATE_UNDECIDABLE, STEP_TIMEOUT)),
            Job.status.in_(("queued", "failed")),
            Job.payload["execution_id"].astext == str(execution.id),
            Job.payload["step_id"].astext.in_(step_ids),
        )
        .values(status="cancelled", finished_at=now())
    )
    for step_id in step_ids:
        if loaded.graph.step(step_id).type == "runbook":
            payload = {"execution_id": str(execution.id), "step_run_id": str(loaded.step_runs[step_id].id)}
            await enqueue(session, kind=CANCEL_STEP, payload=payload, tenant_id=execution.tenant_id)
