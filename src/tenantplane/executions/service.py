"""Execution state changes: create, move between statuses through one checked function, and cancel.

Every status change locks the execution row and checks the transition; an illegal one is a 409.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.executions import causes
from tenantplane.executions import repository as repo
from tenantplane.executions.causes import Cause
from tenantplane.executions.hooks import run_cancel_hooks, run_finished_hooks, run_reopened_hooks, run_retry_hooks
from tenantplane.executions.models import FINISHED_STATUSES, WORKFLOW_STEP_ORIGIN, Execution, StepRun
from tenantplane.executions.schemas import ExecutionRead, ExecutionSummary, StepRunRead
from tenantplane.identity.auth import Principal
from tenantplane.identity.permissions import Permission
from tenantplane.jobs import service as jobs
from tenantplane.jobs.models import Job
from tenantplane.kit.errors import Conflict, Forbidden

TRANSITIONS: dict[str, frozenset[str]] = {
    "queued": frozenset({"running", "cancelled", "failed"}),
    "running": frozenset({"waiting", "succeeded", "failed", "timed_out", "cancelled", "rejected"}),
    "waiting": frozenset({"running", "succeeded", "failed", "timed_out", "cancelled", "rejected"}),
}
REOPENABLE = frozenset({"failed", "rejected"})
MANAGE_PERMISSION = {"runbook": Permission.RUNBOOKS_MANAGE, "workflow": Permission.WORKFLOWS_MANAGE}


class IllegalTransition(Conflict):
    problem_type = "illegal-transition"
    title = "Not possible in this status"


async def execution_read(session: AsyncSession, execution: Execution) -> ExecutionRead:
    """The API shape of an execution, with its step runs in order (a runbook step naming its runbook run)."""
    step_rows = await repo.steps_of(session, execution)
    children = await repo.step_executions(session, execution.tenant_id, [s.id for s in step_rows])
    steps = [
        StepRunRead.model_validate(s).model_copy(update={"runbook_execution_id": children.get(s.id)}) for s in step_rows
    ]
    [summary] = await summaries(session, [execution])
    return ExecutionRead(
        **summary.model_dump(), parameters=execution.parameters, outputs=execution.outputs, steps=steps
    )


async def summaries(session: AsyncSession, executions: Sequence[Execution]) -> list[ExecutionSummary]:
    """List shapes of executions, each named after its runbook or workflow."""
    names = await repo.names_of(session, executions)
    named = [(e, e.runbook_id or e.workflow_id) for e in executions]
    return [
        ExecutionSummary.model_validate(e).model_copy(
            update={"name": names.get(key) if key else None, "caused_by_text": causes.describe(e.cause, e.caused_by)}
        )
        for e, key in named
    ]


def now() -> datetime:
    return datetime.now(UTC)


async def create_execution(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    kind: str,
    started_by: uuid.UUID | None,
    parameters: dict[str, Any],
    steps: list[tuple[str, str]],
    runbook: tuple[uuid.UUID, int] | None = None,
    origin: tuple[str, uuid.UUID] | None = None,
    cause: Cause | None = None,
    execution_id: uuid.UUID | None = None,
    job_id: uuid.UUID | None = None,
    flush: bool = True,
) -> Execution:
    """A queued execution with one pending step run per (name, type), in order.

    Without a `cause`: a workflow step's runbook run inherits its run's chain; else whoever started it caused it.
    `execution_id` and `job_id` let a caller enqueue the execution's job first (its payload names the id).
    `flush=False` leaves the rows to be inserted by the next flush (`pending_step_runs` has the step runs), so a run
    carried to its end in this transaction is inserted as it ended; it is stamped created now, as a flush would.
    """
    if cause is None:
        cause = await _inherited_cause(session, tenant_id, origin)
    if cause is None and started_by is not None:
        cause = causes.manual(started_by)
    execution = Execution(
        id=execution_id or uuid.uuid4(),
        job_id=job_id,
        tenant_id=tenant_id,
        kind=kind,
        status="queued",
        started_by=started_by,
        runbook_id=runbook[0] if runbook else None,
        runbook_version=runbook[1] if runbook else None,
        parameters=parameters,
        origin_type=origin[0] if origin else None,
        origin_id=origin[1] if origin else None,
        cause=cause.kind if cause else None,
        caused_by=cause.to_json() if cause else [],
    )
    session.add(execution)
    # The id is known, so the step runs go in the same flush (the unit of work inserts the execution first).
    session.add_all(
        StepRun(tenant_id=tenant_id, execution_id=execution.id, position=position, name=name, type=step_type)
        for position, (name, step_type) in enumerate(steps)
    )
    if not flush or execution.origin_type == WORKFLOW_STEP_ORIGIN:
        # Stamped by the clock that stamped its step's start (`runbook_runs` compares the two), not the database's:
        # a step's runbook may start in the very transaction that started the step.
        execution.created_at = now()
    if flush:
        await session.flush()
    return execution


def pending_step_runs(session: AsyncSession, execution: Execution) -> dict[int, StepRun]:
    """The step runs of an execution created with `flush=False`, by position (before or after they are flushed)."""
    found = [
        row
        for row in (*session.new, *session.identity_map.values())
        if isinstance(row, StepRun) and row.execution_id == execution.id
    ]
    return {row.position: row for row in found}


async def _inherited_cause(
    session: AsyncSession, tenant_id: uuid.UUID, origin: tuple[str, uuid.UUID] | None
) -> Cause | None:
    """A workflow step's runbook execution: the people who caused the workflow execution caused it too."""
    if origin is None or origin[0] != WORKFLOW_STEP_ORIGIN:
        return None
    stmt = (
        select(Execution.caused_by)
        .join(StepRun, StepRun.execution_id == Execution.id)
        .where(Execution.tenant_id == tenant_id, StepRun.tenant_id == tenant_id, StepRun.id == origin[1])
    )
    parent = await session.scalar(stmt)
    return Cause.inherited("workflow_step", parent or [])


async def move(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    execution_id: uuid.UUID,
    to: str,
    error: str | None = None,
    outputs: dict[str, Any] | None = None,
    reopen: bool = False,
    locked: Execution | None = None,
    flush: bool = True,
) -> Execution:
    """The one way an execution changes status: lock, check the transition, stamp the times.

    `reopen` is a retry of a failed or rejected workflow execution: it runs again, its end unrecorded.
    `locked` is the execution as this transaction already locked it (or created it): it is not read again.
    `flush=False` leaves the change to the next flush (a run this transaction carries on to its end).
    """
    if locked is None and not reopen and flush and to in FINISHED_STATUSES:
        ended = await _end(session, tenant_id, execution_id, to, error, outputs)
        if ended is not None:
            await run_finished_hooks(session, ended)
            return ended
        # Not found, or not in a status it may end from: read it, for the error that says which.
    if locked is not None and locked.id == execution_id and locked.tenant_id == tenant_id:
        execution = locked
    else:
        execution = await repo.get_execution(session, tenant_id, execution_id, for_update=True)
    reopening = reopen and to == "running" and execution.kind == "workflow" and execution.status in REOPENABLE
    if not reopening and to not in TRANSITIONS.get(execution.status, frozenset()):
        raise IllegalTransition(f"An execution that is {execution.status} cannot become {to}.")
    if reopening:
        execution.finished_at, execution.error = None, None
    execution.status = to
    if to == "running" and execution.started_at is None:
        execution.started_at = now()
    if to in FINISHED_STATUSES:
        execution.finished_at = now()
    if error is not None:
        execution.error = error
    if outputs is not None:
        execution.outputs = outputs
    if flush:
        await session.flush()
    if to in FINISHED_STATUSES:
        await run_finished_hooks(session, execution)
    elif reopening:
        await run_reopened_hooks(session, execution)
    return execution


async def _end(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    execution_id: uuid.UUID,
    to: str,
    error: str | None,
    outputs: dict[str, Any] | None,
) -> Execution | None:
    """`move` to a final status in one statement (the row locked, checked and changed by the UPDATE, returned by
    it): None when the execution is not there, or in no status that may become `to`."""
    sources = [status for status, targets in TRANSITIONS.items() if to in targets]
    values: dict[str, Any] = {"status": to, "finished_at": now()}
    if error is not None:
        values["error"] = error
    if outputs is not None:
        values["outputs"] = outputs
    stmt = (
        update(Execution)
        .where(Execution.tenant_id == tenant_id, Execution.id == execution_id, Execution.status.in_(sources))
        .values(**values)
        .returning(Execution)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return (await session.scalars(stmt)).one_or_none()


async def skip_pending_steps(session: AsyncSession, execution: Execution, reason: str) -> None:
    await session.execute(
        update(StepRun)
        .where(StepRun.execution_id == execution.id, StepRun.status == "pending")
        .values(status="skipped", reason=reason)
    )


async def request_cancel(session: AsyncSession, execution: Execution, *, reason: str) -> Execution | None:
    """Stop one run: a queued one is cancelled at once, a running one is asked to stop (its worker kills the script).

    None when it had already finished. Locks in the job handler's order: the job row first, then the execution.
    """
    if execution.job_id is not None:
        await session.execute(
            select(Job.id).where(Job.id == execution.job_id, Job.tenant_id == execution.tenant_id).with_for_update()
        )
    locked = repo.executions_of(execution.tenant_id).where(Execution.id == execution.id).with_for_update()
    execution = (await session.scalars(locked.execution_options(populate_existing=True))).one()
    if execution.status in FINISHED_STATUSES:
        return None
    if execution.status == "queued":
        await move(session, tenant_id=execution.tenant_id, execution_id=execution.id, to="cancelled", error="cancelled")
        await skip_pending_steps(session, execution, f"not run: {reason}")
    execution.cancel_requested_at = execution.cancel_requested_at or now()
    if execution.job_id is not None:
        await jobs.cancel(session, [execution.job_id])
    await session.flush()
    return execution


async def cancel_execution(session: AsyncSession, *, actor: Principal, execution: Execution) -> Execution:
    """Cancel a queued execution at once; ask the worker running it to stop (it kills the script)."""
    permission = MANAGE_PERMISSION.get(execution.kind)
    if execution.started_by != actor.id and not (permission and actor.can(permission)):
        raise Forbidden(f"Only who started it or a user with '{permission}' may cancel this execution.")
    if (cancelled := await run_cancel_hooks(session, actor, execution)) is not None:
        return cancelled  # its kind cancels its own way (a workflow: its steps, gates and runbook runs)
    stopped = await request_cancel(session, execution, reason="the execution was cancelled")
    if stopped is None:
        raise IllegalTransition(f"The execution already finished ({execution.status}).")
    execution = stopped
    await record_event(
        session,
        actor=actor,
        action="execution.cancelled",
        object_type="execution",
        object_id=execution.id,
        summary={"kind": execution.kind, "status": execution.status},
    )
    return execution


async def retry_execution(session: AsyncSession, *, actor: Principal, execution: Execution) -> Execution:
    """Re-run a failed or rejected execution the way its kind retries (a workflow: from its failed steps)."""
    if (retried := await run_retry_hooks(session, actor, execution)) is not None:
        return retried
    raise IllegalTransition("Only workflow executions can be retried from their failed steps.")
