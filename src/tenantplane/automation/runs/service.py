"""The execution job runner's shell around the pure engine: start, apply one event, turn effects into jobs.

`apply_event` is the one way a workflow execution changes: it locks the execution row, applies the engine,
persists state, step runs and status, and performs the effects in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.automation import engine
from tenantplane.automation.definitions import repository as repo
from tenantplane.automation.definitions.models import Workflow
from tenantplane.automation.engine import Transition
from tenantplane.automation.engine.expressions import edge_results
from tenantplane.automation.runs.effects import inline_outcome, perform, runs_inline, sync_status, sync_step_runs
from tenantplane.automation.runs.models import AutomationRun
from tenantplane.automation.runs.pins import runbook_pins
from tenantplane.automation.runs.runbook_steps import start_in_transition
from tenantplane.automation.runs.state import (
    LoadedRun,
    compiled_version,
    load_run,
    now,
    secret_names_of,
)
from tenantplane.executions import service as executions
from tenantplane.executions.causes import Cause
from tenantplane.executions.models import Execution, StepRun
from tenantplane.identity.auth import Principal
from tenantplane.kit.errors import Conflict, ValidationFailed
from tenantplane.runbooks.parameters import parameter_problems, with_defaults

# What a transition in a job leaves to do in it: an inline step (its outcome is computed next), or the end of a
# runbook step it started (a runbook of inline built-ins that ran to its end, one that could not start: applied next).
Ready = engine.RunStep | engine.ScheduleTimer | tuple[engine.StepFinished, str | None]

# How many steps whose work is pure and instant (a condition, a zero delay) one transaction evaluates inline
# before handing the rest to the job runner. A workflow holds at most 200 steps and its graph has no cycles,
# so one job finishes any chain of them.
INLINE_STEP_LIMIT = 250


async def start_execution(
    session: AsyncSession,
    *,
    workflow: Workflow,
    inputs: dict[str, Any],
    started_by: uuid.UUID | None,
    origin: tuple[str, uuid.UUID] | None = None,
    trigger: dict[str, Any] | None = None,
    cause: Cause | None = None,
    version_number: int | None = None,
) -> Execution:
    """A workflow execution of `version_number` (None: the current version), started in the caller's transaction."""
    pinned = workflow.version if version_number is None else version_number
    version = await compiled_version(session, workflow.tenant_id, workflow.id, pinned)
    steps = version.definition["steps"]
    execution = await executions.create_execution(
        session,
        tenant_id=workflow.tenant_id,
        kind="workflow",
        started_by=started_by,
        parameters=inputs,
        steps=[],
        origin=origin,
        cause=cause,
    )
    execution.workflow_id, execution.workflow_version = workflow.id, pinned
    # Each runbook step runs the runbook version of now (or the one it names), whatever is saved meanwhile.
    runbook_versions = await runbook_pins(session, workflow.tenant_id, steps)
    # One pending step run per step, in order, inserted as one executemany (up to 200 rows: the ORM's
    # multi-row INSERT … RETURNING of them cost more than the whole rest of the start).
    rows = [
        {
            "id": uuid.uuid4(),
            "tenant_id": workflow.tenant_id,
            "execution_id": execution.id,
            "position": position,
            "name": s["name"] or s["id"],
            "type": s["type"],
            "step_id": s["id"],
            "runbook_version": runbook_versions.get(s["id"]),
        }
        for position, s in enumerate(steps)
    ]
    await session.execute(insert(StepRun), rows)
    state = engine.new_execution(version.graph)
    run = AutomationRun(
        execution_id=execution.id, tenant_id=workflow.tenant_id, state=state.to_dict(), trigger=trigger or {}
    )
    session.add(run)
    ordered = await _ordered_step_runs(session, execution)
    # Inserted by this transaction, so no other one can see (or lock) it yet: start it from what we hold.
    names = await secret_names_of(session, workflow.tenant_id) if version.uses_secrets else ()
    by_step = {steps[i]["id"]: row for i, row in enumerate(ordered)}
    loaded = LoadedRun(execution, run, version, by_step, secret_names=names)
    await apply_loaded(session, loaded, engine.Start())
    return execution


async def _ordered_step_runs(session: AsyncSession, execution: Execution) -> list[StepRun]:
    stmt = select(StepRun).where(StepRun.tenant_id == execution.tenant_id, StepRun.execution_id == execution.id)
    return sorted((await session.scalars(stmt)).all(), key=lambda s: s.position)


async def apply_event(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    execution_id: uuid.UUID,
    event: engine.Event,
    reason: str | None = None,
    inline: bool = False,
) -> Transition:
    """Apply one event under the execution's row lock; a redelivered or stale event changes nothing.

    `inline` (job handlers): steps the event makes ready whose work is pure and instant are done in this
    transaction (see `apply_loaded`) instead of by a job each.
    """
    loaded = await load_run(session, tenant_id, execution_id)
    return await apply_loaded(session, loaded, event, reason=reason, inline=inline)


async def apply_loaded(
    session: AsyncSession,
    loaded: LoadedRun,
    event: engine.Event,
    *,
    reason: str | None = None,
    inline: bool = False,
) -> Transition:
    """`apply_event` for an execution this transaction has already locked and loaded; the event's transition.

    With `inline`, a condition step (evaluate its expression) or a delay of 0 seconds (its timer fires at
    once) that becomes ready is finished right here through the same engine events a job would apply, so its
    step run gets the same status, outputs, reason and timestamps; up to `INLINE_STEP_LIMIT` per transaction,
    the rest are enqueued as usual.
    """
    ready: list[Ready] = []
    transition = await _apply_one(session, loaded, event, reason, ready if inline else None)
    budget = INLINE_STEP_LIMIT
    while ready:
        effect = ready.pop(0)
        step_event: engine.Event
        step_reason: str | None
        if isinstance(effect, tuple):  # a runbook step that could not start: its failure (a stale one is ignored)
            step_event, step_reason = effect
        else:
            if budget <= 0:
                loaded.write()
                await perform(session, loaded, effect)
                continue
            current = loaded.state.steps[effect.step_id]
            if current.attempt != effect.attempt or current.status not in ("running", "waiting"):
                continue  # the execution ended meanwhile (another inline step failed it): nothing to do
            budget -= 1
            step_event, step_reason = await inline_outcome(loaded, effect)
        await _apply_one(session, loaded, step_event, step_reason, ready)
    # A transition that left inline steps to do did not write its state nor sync the status: settle them.
    loaded.write()
    await sync_status(session, loaded, loaded.state, retrying=False)
    return transition


async def _apply_one(
    session: AsyncSession,
    loaded: LoadedRun,
    event: engine.Event,
    reason: str | None,
    ready: list[Ready] | None,
) -> Transition:
    """One engine transition: persist it and perform its effects; inline-able steps go to `ready` if given."""
    state = loaded.state
    if isinstance(event, engine.StepFinished | engine.ApprovalDecided | engine.ApprovalTimedOut | engine.TimerFired):
        if not loaded.graph.has_step(event.step_id):
            return Transition(state, ())
        if loaded.graph.expression_edges(event.step_id):
            outputs = event.outputs if isinstance(event, engine.StepFinished) else {}
            results = await edge_results(loaded.graph, event.step_id, loaded.context(), outputs)
            event = replace(event, edge_results=results)
    transition = engine.apply(loaded.graph, state, event)
    if not transition.effects and transition.state == state:
        return transition
    changed = [step_id for step_id, run in transition.state.steps.items() if state.steps.get(step_id) is not run]
    await loaded.load_step_runs(session, [*changed, *([event.step_id] if hasattr(event, "step_id") else [])])
    sync_step_runs(loaded, state, transition.state)
    if reason is not None and hasattr(event, "step_id"):
        loaded.step_runs[event.step_id].reason = reason
    effects: list[engine.Effect] = []
    starts: list[engine.RunStep] = []  # runbook steps started right here (their ends may come back in `ready`)
    for effect in transition.effects:
        if ready is None:
            effects.append(effect)
        elif isinstance(effect, engine.RunStep | engine.ScheduleTimer) and runs_inline(loaded, effect):
            ready.append(effect)
        elif isinstance(effect, engine.RunStep) and loaded.graph.step(effect.step_id).type == "runbook":
            starts.append(effect)
        else:
            effects.append(effect)
    retrying = isinstance(event, engine.Retry)
    # With inline steps or runbook starts still to do and nothing else to perform, the state is written (and the
    # execution's status settled) after them, by `apply_loaded`: a chain of inline steps serialises and flushes its
    # state once, and a chain of inline runbooks inserts its rows in one flush.
    settle = bool(effects) or retrying or not (ready or starts)
    loaded.store(transition.state, write=settle)
    if effects:
        await session.flush()
    for effect in effects:
        await perform(session, loaded, effect)
    for start in starts:
        assert ready is not None
        ready.extend(await start_in_transition(session, loaded, start))
    if settle:
        await sync_status(session, loaded, transition.state, retrying=retrying)
    return transition


async def cancel_workflow_execution(session: AsyncSession, *, actor: Principal, execution: Execution) -> Execution:
    """Cancel: gates close and waiting jobs stop now, running runbook executions are cancelled by a job."""
    loaded = await load_run(session, actor.tenant, execution.id)
    if loaded.execution.status in engine.FINISHED_EXECUTION_STATUSES:
        raise executions.IllegalTransition(f"The execution already finished ({loaded.execution.status}).")
    await apply_event(session, tenant_id=actor.tenant, execution_id=execution.id, event=engine.Cancel())
    loaded.execution.cancel_requested_at = loaded.execution.cancel_requested_at or now()
    await session.flush()
    await _audit(session, actor, "execution.cancelled", loaded.execution)
    return loaded.execution


async def retry_workflow_execution(session: AsyncSession, *, actor: Principal, execution: Execution) -> Execution:
    """Re-run from the steps that failed (or were cancelled by the failure); succeeded steps keep their outputs."""
    if execution.kind != "workflow":
        raise executions.IllegalTransition("Only workflow executions can be retried from their failed steps.")
    loaded = await load_run(session, actor.tenant, execution.id)
    if loaded.execution.status not in executions.REOPENABLE:
        raise executions.IllegalTransition(
            f"Only a failed or rejected execution can be retried; this one is {loaded.execution.status}."
        )
    await apply_event(session, tenant_id=actor.tenant, execution_id=execution.id, event=engine.Retry())
    await _audit(session, actor, "execution.retried", loaded.execution)
    return loaded.execution


async def execute_workflow(
    session: AsyncSession,
    *,
    actor: Principal | None,
    tenant_id: uuid.UUID,
    workflow_id: uuid.UUID,
    inputs: dict[str, Any],
    started_by: uuid.UUID | None = None,
    origin: tuple[str, uuid.UUID] | None = None,
    trigger: dict[str, Any] | None = None,
    cause: Cause | None = None,
    version: int | None = None,
) -> Execution:
    """Check the inputs against the workflow's schema (422 `inputs.<name>`) and start an execution of `version`
    (None: the current one; a service request runs the version it pinned at submit).

    `trigger` is what a trigger fired with (`trigger` in the execution's expressions and templates); `cause` who
    caused it (default: whoever started it), the people four-eyes keeps off its gates.
    `actor=None` is the platform itself (e.g. fulfilling a service request for `started_by`); `origin` names
    what started it, whose execution hooks hear when it finishes.
    """
    workflow = await repo.get_workflow(session, tenant_id, workflow_id)
    if workflow.archived_at is not None:
        raise Conflict(f"The workflow '{workflow.name}' is archived and cannot be executed.")
    pinned = workflow.version if version is None else version
    compiled = await compiled_version(session, tenant_id, workflow.id, pinned)
    schema = compiled.definition.get("inputs")
    inputs = with_defaults(schema, inputs)
    problems = [
        {"field": "inputs" + p["field"].removeprefix("parameters"), "message": p["message"]}
        for p in parameter_problems(schema, inputs)
    ]
    if problems:
        raise ValidationFailed("; ".join(f"{p['field']}: {p['message']}" for p in problems), errors=problems)
    starter = actor.id if actor else started_by
    execution = await start_execution(
        session,
        workflow=workflow,
        inputs=inputs,
        started_by=starter,
        origin=origin,
        trigger=trigger,
        version_number=pinned,
        cause=cause,
    )
    await _audit(session, actor, "workflow.executed", execution, workflow=workflow)
    return execution


async def _audit(
    session: AsyncSession, actor: Principal | None, action: str, execution: Execution, workflow: Workflow | None = None
) -> None:
    summary: dict[str, Any] = {"kind": execution.kind, "status": execution.status}
    if workflow is not None:
        summary |= {"workflow_id": workflow.id, "workflow": workflow.name, "version": execution.workflow_version}
    if execution.origin_type is not None:
        summary["origin"] = f"{execution.origin_type}:{execution.origin_id}"
    await record_event(
        session,
        actor=actor,
        tenant_id=execution.tenant_id,
        action=action,
        object_type="execution",
        object_id=execution.id,
        summary=summary,
    )
