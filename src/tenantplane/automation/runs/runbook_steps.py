"""Starting a workflow's runbook step: the runbook execution it runs (pinned version, rendered parameters), its timeout.

Below `service.py`: the step's job starts it (`steps.perform_step`), and so does a transition made in a job, right
away: a runbook with a job of its own (a script) is started there (the step's job would only have started it), and
a runbook of inline built-ins (`echo`) runs to its end there, up to `INLINE_RUNBOOK_LIMIT` per transaction, like a
condition: a chain of them costs no job nor commit per step.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.automation import engine
from tenantplane.automation.engine.expressions import TemplateFailed
from tenantplane.automation.runs.effects import perform
from tenantplane.automation.runs.pins import PlannedRun, planned_run
from tenantplane.automation.runs.state import STEP_TIMEOUT, LoadedRun, now
from tenantplane.executions.causes import Cause
from tenantplane.executions.models import FINISHED_STATUSES, WORKFLOW_STEP_ORIGIN, Execution, StepRun
from tenantplane.jobs.queue import enqueue
from tenantplane.jobs.registry import job_settings
from tenantplane.kit.errors import DomainError
from tenantplane.runbooks import repository as runbooks_repo
from tenantplane.runbooks.inline import runs_inline
from tenantplane.runbooks.models import Runbook
from tenantplane.runbooks.service import execute_runbook
from tenantplane.settings import Settings

# How many runbooks of inline built-ins one transaction runs to their end for the steps its transitions start, before
# the rest get a step job each: the execution stays locked, and its progress unseen, until the transaction commits.
INLINE_RUNBOOK_LIMIT = 50


async def start_runbook(
    session: AsyncSession,
    loaded: LoadedRun,
    step_id: str,
    config: dict[str, Any],
    context: dict[str, Any],
    *,
    settings: Settings | None = None,
) -> Execution:
    """Start the step's runbook: the version pinned when the execution started (or, right after a gate, the version
    and rendered parameters its approvers saw); the step finishes when that execution does.

    With `settings` (the step's job) a runbook of inline built-ins runs here, so the step may finish before this
    returns (its runbook execution's end reaches `runbook_finished` inside this transaction)."""
    planned = await planned_run(session, loaded, step_id, config, context)
    runbook = await runbooks_repo.get_runbook(session, loaded.execution.tenant_id, uuid.UUID(config["runbook_id"]))
    return await _start(session, loaded, step_id, config, planned, runbook, settings)


async def _start(
    session: AsyncSession,
    loaded: LoadedRun,
    step_id: str,
    config: dict[str, Any],
    planned: PlannedRun,
    runbook: Runbook,
    settings: Settings | None,
) -> Execution:
    step_run = loaded.step_runs[step_id]
    child = await execute_runbook(
        session,
        actor=None,
        runbook=runbook,
        parameters=planned.parameters,
        started_by=loaded.execution.started_by,
        origin=(WORKFLOW_STEP_ORIGIN, step_run.id),
        cause=Cause.inherited("workflow_step", loaded.execution.caused_by),  # its run's chain, already in hand
        version=planned.version,
        inline=settings,
    )
    step_run.runbook_version = child.runbook_version  # what ran: a `latest` step's resolved version too
    still = loaded.state.steps[step_id]
    ended = child.status in FINISHED_STATUSES  # it ran inline: nothing is left to time out
    if config.get("timeout_seconds") and not ended and still.status == "running" and still.attempt == step_run.attempt:
        payload = {"execution_id": str(loaded.execution.id), "step_id": step_id, "attempt": step_run.attempt}
        run_at = now() + timedelta(seconds=float(config["timeout_seconds"]))
        await enqueue(session, kind=STEP_TIMEOUT, payload=payload, tenant_id=child.tenant_id, run_at=run_at)
    return child


async def start_in_transition(
    session: AsyncSession, loaded: LoadedRun, effect: engine.RunStep
) -> list[tuple[engine.StepFinished, str | None]]:
    """A runbook step a transition made ready, in a job: its runbook starts here (its execution and that execution's
    job, as the step's own job would start them). A runbook of inline built-ins runs to its end here, its step's end
    returned for the caller to apply next (not applied inside it: a chain of them would nest one call per step);
    past `INLINE_RUNBOOK_LIMIT`, or outside a job's transaction, its step job is enqueued to run it.

    A runbook that cannot start (parameters that do not render, a runbook gone or archived) fails the step: that
    event is returned for the caller to apply, with its reason, exactly as the step's job would have applied it.
    """
    step_id, tenant_id = effect.step_id, loaded.execution.tenant_id
    config = loaded.config(step_id)
    await loaded.load_step_runs(session, [step_id])
    try:
        planned = await planned_run(session, loaded, step_id, config, loaded.context())
        runbook = await runbooks_repo.get_runbook(session, tenant_id, uuid.UUID(config["runbook_id"]))
        number = runbook.current_version if planned.version is None else planned.version
        if not runs_inline(await runbooks_repo.version_definition(session, tenant_id, runbook.id, number)):
            await _start(session, loaded, step_id, config, planned, runbook, None)
            return []
        settings = job_settings(session)
        if settings is None or loaded.inline_runbooks >= INLINE_RUNBOOK_LIMIT:
            await perform(session, loaded, effect)  # it runs in its step's job, in a transaction of its own
            return []
        loaded.inline_runbooks += 1
        ended: list[tuple[engine.StepFinished, str | None]] = []
        loaded.finished_inline = ended
        try:
            await _start(session, loaded, step_id, config, planned, runbook, settings)
        finally:
            loaded.finished_inline = None
        return ended
    except (TemplateFailed, DomainError) as error:
        return [(engine.StepFinished(step_id, "failed", outputs={}, attempt=effect.attempt), str(error))]


async def runbook_runs(session: AsyncSession, step_run: StepRun) -> int:
    """How many runbook executions the step's current attempt has started."""
    count = await session.scalar(
        select(func.count())
        .select_from(Execution)
        .where(
            Execution.tenant_id == step_run.tenant_id,
            Execution.origin_type == WORKFLOW_STEP_ORIGIN,
            Execution.origin_id == step_run.id,
            Execution.created_at >= step_run.started_at,
        )
    )
    return int(count or 0)
