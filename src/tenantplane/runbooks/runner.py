"""RunbookRun: carries one runbook execution from queued to its final status, inside the `runbooks.execute` job.

Every write is a small transaction fenced by the job lease; a run found already `running` was interrupted
(its worker died or stopped) and is failed with that reason, never re-run: scripts are not safely retryable.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any

import structlog
from sqlalchemy import ColumnElement, Update, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.executions import repository as executions_repo
from tenantplane.executions.models import Execution, StepRun
from tenantplane.executions.service import IllegalTransition, move, skip_pending_steps
from tenantplane.identity.models import Tenant
from tenantplane.jobs.models import Job
from tenantplane.jobs.registry import JobContext, LeaseLost
from tenantplane.kit.crypto import SecretUnreadable
from tenantplane.runbooks import repository as runbooks_repo
from tenantplane.runbooks import slots
from tenantplane.runbooks.actions import StepOutcome
from tenantplane.runbooks.dispatch import RunState, run_action
from tenantplane.runbooks.http_action import EgressPolicy
from tenantplane.runbooks.isolation import SandboxConfig
from tenantplane.runbooks.livelog import LiveLog, Transaction, last_chunk_number
from tenantplane.runbooks.prestart import PreparedStart, execution_context
from tenantplane.secrets.service import MissingSecrets, load_secret_values
from tenantplane.settings import Settings

log = structlog.get_logger("tenantplane.runbooks")
INTERRUPTED = "interrupted: the worker running it stopped; runbook actions are not re-run automatically"


@dataclass(frozen=True)
class Ending:
    status: str
    error: str | None


async def run_to_the_end(run: RunbookRun) -> None:
    """Runs `run` in its own task so that cancelling the job stops it instead of tearing it down mid-write.

    The worker cancels a job's task to stop it (and may do so again at every heartbeat): each cancel sets
    the run's stop event, the run kills its action and records how it ended, then the cancel is re-raised.
    """
    task = asyncio.ensure_future(run.run())
    stopped = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            stopped = True
            run.stop.set()
    task.result()
    if stopped:
        raise asyncio.CancelledError


class RunbookRun:
    # Whether a task writes the live log out every FLUSH_SECONDS while actions run (not in one transaction).
    flushes_live_log = True
    # Whether its end is flushed before the hooks of its origin run (not when its rows go in at its caller's flush).
    flushes_end = True
    # Whether it runs in a slot of its tenant's limit (runbooks/slots.py), to free when it ends.
    holds_slot = True
    # Whether the transaction recording its end also records its job's success (it is the job's last).
    ends_its_job = True

    def __init__(self, ctx: JobContext, execution_id: uuid.UUID) -> None:
        if ctx.tenant_id is None:
            raise ValueError("a runbook execution job belongs to a tenant")
        self.ctx = ctx
        self.tenant_id = ctx.tenant_id
        self.execution_id = execution_id
        self.stop = asyncio.Event()
        self.transaction: Transaction = ctx.transaction
        # The execution as the transaction recording its end holds it locked already (an inline run), if so.
        self.locked: Execution | None = None
        # The first action is marked running with the execution (one transaction less); the last action's outcome
        # is recorded with the execution's end (one more less).
        self._marked: int | None = None
        self._unrecorded: tuple[int, StepOutcome] | None = None

    async def run(self) -> None:
        begun = self._prepared() or await self._begin()
        if begun is None:
            return
        state, actions, timeout = begun
        flusher = asyncio.create_task(state.live.run()) if self.flushes_live_log else None
        try:
            ending = await self._run_actions(state, actions, timeout)
        except LeaseLost:
            raise
        except Exception as error:  # a fault of ours: record it rather than leave the run `running`
            log.exception("runbook execution failed unexpectedly", execution=str(self.execution_id))
            ending = Ending("failed", f"internal error: {type(error).__name__}: {error}")
        finally:
            if flusher is not None:
                flusher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await flusher
        await state.live.flush()
        await self._finish(state, ending)

    async def _begin(self) -> tuple[RunState, list[dict[str, Any]], float] | None:
        """Marks the execution running and prepares what its actions need; None when there is nothing to run."""
        settings = self.ctx.settings
        async with self.ctx.transaction() as session:
            execution = await executions_repo.get_execution(session, self.tenant_id, self.execution_id, for_update=True)
            if execution.status == "running":
                await self._fail_interrupted(session, execution)
                return None
            if execution.status != "queued":
                return None  # cancelled before it started, or already finished
            tenant = await session.get(Tenant, self.tenant_id)
            assert tenant is not None
            if not await slots.take(session, self.ctx, tenant):
                return None  # its tenant runs as many as it may: the job waits for one of them to end
            assert execution.runbook_id is not None
            assert execution.runbook_version is not None
            definition = await runbooks_repo.version_definition(
                session, self.tenant_id, execution.runbook_id, execution.runbook_version
            )
            try:
                secrets = await self._secrets(session, definition.get("secrets", []), settings)
            except (MissingSecrets, SecretUnreadable) as error:
                await self._fail_before_start(session, execution, f"cannot start: {error}")
                return None
            await move(session, tenant_id=self.tenant_id, execution_id=execution.id, to="running", locked=execution)
            if definition["actions"]:
                await self._mark_started(session, 0)
            after = await last_chunk_number(session, execution.id)
        context = {"execution": execution_context(execution)}
        state = self._state(dict(execution.parameters), secrets, list(tenant.egress_allow_list), context, after)
        return state, definition["actions"], float(definition["timeout_seconds"])

    def _prepared(self) -> tuple[RunState, list[dict[str, Any]], float] | None:
        """What the transaction that handed this job off began already (prestart.py), if it did: no `_begin`."""
        prepared = self.ctx.prepared
        if not isinstance(prepared, PreparedStart) or prepared.execution_id != self.execution_id:
            return None
        self._marked = 0  # its first action went in running with it
        state = self._state(prepared.parameters, prepared.secrets, prepared.tenant_allowed, prepared.context, 0)
        return state, prepared.actions, prepared.timeout

    def _state(
        self,
        parameters: dict[str, Any],
        secrets: dict[str, str],
        tenant_allowed: list[str],
        context: dict[str, Any],
        after: int,
    ) -> RunState:
        settings = self.ctx.settings
        return RunState(
            tenant_id=self.tenant_id,
            execution_id=self.execution_id,
            parameters=parameters,
            secrets=secrets,
            egress=EgressPolicy(
                operator_allowed=[h for h in settings.allowed_egress_hosts.split(",") if h.strip()],
                tenant_allowed=tenant_allowed,
            ),
            sandbox=SandboxConfig.from_settings(settings),
            live=LiveLog(self.ctx.transaction, tenant_id=self.tenant_id, execution_id=self.execution_id, after=after),
            transaction=self.ctx.transaction,
            context=context,
            stop=self.stop,
        )

    async def _secrets(self, session: AsyncSession, names: list[str], settings: Settings) -> dict[str, str]:
        if not names:
            return {}
        return await load_secret_values(
            session, tenant_id=self.tenant_id, names=names, secret_key=settings.resolved_secret_key
        )

    async def _run_actions(self, state: RunState, actions: list[dict[str, Any]], timeout: float) -> Ending:
        deadline = time.monotonic() + timeout
        for position, action in enumerate(actions):
            if self.stop.is_set():
                return await self._stopped_before(action["name"])
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return Ending("timed_out", f"the runbook's timeout of {timeout:g}s ran out before '{action['name']}'")
            if self._marked != position:
                await self._step_started(position)
            outcome = await run_action(state, position, action, remaining=remaining, interrupted=self._interrupted)
            await state.live.flush()
            if position == len(actions) - 1 or outcome.status != "succeeded":
                self._unrecorded = (position, outcome)  # the end's transaction records it
            else:
                await self._record_outcome(position, outcome)
            state.record(action["name"], outcome)
            if outcome.status != "succeeded":
                return self._ending(action["name"], outcome, timeout)
        return Ending("succeeded", None)

    def _ending(self, name: str, outcome: StepOutcome, timeout: float) -> Ending:
        if outcome.status == "timed_out":
            return Ending("timed_out", f"action '{name}' timed out (runbook timeout {timeout:g}s): {outcome.reason}")
        if outcome.status == "cancelled":
            return Ending("cancelled", f"cancelled while action '{name}' ran")
        return Ending("failed", f"action '{name}' failed: {outcome.reason}")

    async def _cancel_requested(self) -> bool:
        """Whether a stop came from a user's cancel, rather than from a worker stopping or losing its lease."""
        async with self.ctx.db.transaction() as session:
            return bool(await session.scalar(select(Job.cancel_requested).where(*self._own_job())))

    async def _interrupted(self, stopped: StepOutcome) -> StepOutcome:
        if await self._cancel_requested():
            return replace(stopped, status="cancelled", reason="cancelled by request; its processes were killed")
        return replace(stopped, status="failed", reason=INTERRUPTED)

    async def _stopped_before(self, name: str) -> Ending:
        if await self._cancel_requested():
            return Ending("cancelled", f"cancelled before action '{name}'")
        return Ending("failed", INTERRUPTED)

    async def _step_started(self, position: int) -> None:
        async with self.transaction() as session:
            await self._mark_started(session, position)

    async def _mark_started(self, session: AsyncSession, position: int) -> None:
        await session.execute(self._step(position).values(status="running", started_at=func.clock_timestamp()))
        self._marked = position

    async def _record_outcome(self, position: int, outcome: StepOutcome) -> None:
        async with self.transaction() as session:
            await self._write_outcome(session, position, outcome)

    async def _write_outcome(self, session: AsyncSession, position: int, outcome: StepOutcome) -> None:
        await session.execute(self._outcome(position, outcome))

    async def _before_end(self, session: AsyncSession) -> None:
        """What goes into the transaction that records the end, before the status (and its hooks)."""

    def _outcome(self, position: int, outcome: StepOutcome) -> Update:
        return self._step(position).values(
            status=outcome.status,
            exit_code=outcome.exit_code,
            outputs=outcome.outputs,
            log=outcome.log,
            reason=outcome.reason,
            started_at=outcome.started_at,
            finished_at=outcome.finished_at,
        )

    def _step(self, position: int) -> Update:
        return self._step_where(StepRun.position == position)

    async def _finish(self, state: RunState, ending: Ending) -> None:
        error = state.mask.apply(ending.error) if ending.error else None
        # Its job's success goes in with its end (a stopped job's end is the worker's to record): the lease fence is
        # that UPDATE, one statement for both.
        succeed = self.ends_its_job and not self.stop.is_set()
        async with self.ctx.transaction(succeed=True) if succeed else self.transaction() as session:
            if self._unrecorded is not None:
                await self._write_outcome(session, *self._unrecorded)
            elif self._marked is not None and not state.steps:  # stopped before its first action began
                await session.execute(self._step(self._marked).values(status="pending", started_at=None))
            await self._before_end(session)
            if self.holds_slot:  # a run its end starts (the next step's) may take its slot over (prestart.py)
                slots.ending(session, self.tenant_id)
            try:
                execution = await move(
                    session,
                    tenant_id=self.tenant_id,
                    execution_id=self.execution_id,
                    to=ending.status,
                    error=error,
                    outputs=state.mask.apply_to_outputs(state.outputs),
                    locked=self.locked,
                    flush=self.flushes_end,
                )
            except IllegalTransition as refused:  # someone else already settled it
                log.warning("execution not finished", execution=str(self.execution_id), error=str(refused))
                return
            if ending.status != "succeeded":  # a run that succeeded ran (and recorded) every action
                await skip_pending_steps(session, execution, f"not run: the execution {ending.status}")
            if self.holds_slot:
                await slots.free(session, self.tenant_id, self.ctx.settings)

    async def _fail_before_start(self, session: AsyncSession, execution: Execution, error: str) -> None:
        await move(
            session, tenant_id=self.tenant_id, execution_id=execution.id, to="failed", error=error, locked=execution
        )
        await skip_pending_steps(session, execution, "not run: the execution could not start")

    async def _fail_interrupted(self, session: AsyncSession, execution: Execution) -> None:
        """The run was left `running` by a worker that died or stopped: fail it, and the action it was in."""
        last_error = await session.scalar(select(Job.last_error).where(*self._own_job()))
        reason = INTERRUPTED + (f" ({last_error})" if last_error else "")
        await session.execute(
            self._step_where(StepRun.status == "running").values(
                status="failed", reason=reason, finished_at=func.clock_timestamp()
            )
        )
        await move(session, tenant_id=self.tenant_id, execution_id=execution.id, to="failed", error=reason)
        await skip_pending_steps(session, execution, "not run: the execution was interrupted")
        await slots.free(session, self.tenant_id, self.ctx.settings)
        log.warning("interrupted runbook execution failed", execution=str(execution.id), reason=reason)

    def _own_job(self) -> tuple[ColumnElement[bool], ...]:
        return Job.id == self.ctx.job_id, Job.tenant_id == self.tenant_id

    def _step_where(self, condition: ColumnElement[bool]) -> Update:
        return update(StepRun).where(
            StepRun.tenant_id == self.tenant_id, StepRun.execution_id == self.execution_id, condition
        )
