"""Runbooks of inline built-ins (`echo`): run to their end inside the transaction that starts them, with no job.

Exactly once by construction: the run's rows (its status, step runs, outputs, log, the hooks of its origin) commit or
roll back with that transaction, so a crash before the commit leaves nothing and the redelivered job starts afresh.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.executions.models import Execution
from tenantplane.executions.service import move, pending_step_runs
from tenantplane.kit.crypto import SecretUnreadable
from tenantplane.runbooks.actions import StepOutcome, builtin_for
from tenantplane.runbooks.dispatch import RunState
from tenantplane.runbooks.http_action import EgressPolicy
from tenantplane.runbooks.livelog import LiveLog, Transaction
from tenantplane.runbooks.prestart import execution_context
from tenantplane.runbooks.runner import RunbookRun
from tenantplane.runbooks.sandbox import DEFAULT_CONFIG
from tenantplane.secrets.service import MissingSecrets
from tenantplane.settings import Settings

# The queue whose workers run the step jobs that start runbooks: a runbook routed to another queue keeps its job.
INLINE_QUEUE = "default"


def runs_inline(definition: Mapping[str, Any]) -> bool:
    """Whether every action of the runbook version is a built-in declared `inline`, and it runs on the default queue."""
    actions = definition.get("actions") or []
    if not actions or (definition.get("queue") or "default") != INLINE_QUEUE:
        return False
    return all((spec := builtin_for(a["type"])) is not None and spec.inline for a in actions)


def joined(session: AsyncSession) -> Transaction:
    """A `transaction()` that is the caller's own: every write of the run lands in it."""

    @asynccontextmanager
    async def transaction() -> AsyncIterator[AsyncSession]:
        yield session

    return transaction


class InlineRunbookRun(RunbookRun):
    """A queued execution carried to its end in the caller's transaction, recording what its job would record.

    The execution is created unflushed (`create_execution(flush=False)`) and nothing of it is flushed here: its row
    (in its final status), its step runs and its audit event are inserted by the caller's next flush, so a chain of
    such steps inserts all of theirs together. Each action's `running` mark is not written: nobody sees it inside
    the transaction, and the outcome sets every column it would set. Nothing can stop the run midway but the caller's
    job being cancelled, which rolls all of it back.
    """

    flushes_live_log = False
    flushes_end = False
    holds_slot = False  # it starts and ends in one transaction
    ends_its_job = False  # that transaction is its caller's, in a job of its own

    def __init__(
        self,
        session: AsyncSession,
        execution: Execution,
        definition: dict[str, Any],
        settings: Settings,
        announce: Callable[[], Awaitable[None]],
    ) -> None:
        self.session, self.definition, self.settings, self.announce = session, definition, settings, announce
        self.rows = pending_step_runs(session, execution)
        self.tenant_id, self.execution_id = execution.tenant_id, execution.id
        self.stop = asyncio.Event()
        self.transaction = joined(session)
        self.locked = execution
        self._marked, self._unrecorded = None, None

    def _prepared(self) -> None:
        return None  # it has no job of its own, so nothing handed one off

    async def _begin(self) -> tuple[RunState, list[dict[str, Any]], float] | None:
        execution = self.locked
        assert execution is not None
        try:
            secrets = await self._secrets(self.session, self.definition.get("secrets", []), self.settings)
        except (MissingSecrets, SecretUnreadable) as error:
            await self.announce()
            await self._fail_before_start(self.session, execution, f"cannot start: {error}")
            return None
        await move(
            self.session,
            tenant_id=self.tenant_id,
            execution_id=execution.id,
            to="running",
            locked=execution,
            flush=False,
        )
        state = RunState(
            tenant_id=self.tenant_id,
            execution_id=self.execution_id,
            parameters=dict(execution.parameters),
            secrets=secrets,
            egress=EgressPolicy(operator_allowed=[], tenant_allowed=[]),  # built-ins make no requests of their own
            sandbox=DEFAULT_CONFIG,
            live=LiveLog(self.transaction, tenant_id=self.tenant_id, execution_id=self.execution_id),
            transaction=self.transaction,
            context={"execution": execution_context(execution)},
            stop=self.stop,
        )
        return state, self.definition["actions"], float(self.definition["timeout_seconds"])

    async def _step_started(self, position: int) -> None:
        return None

    async def _write_outcome(self, session: AsyncSession, position: int, outcome: StepOutcome) -> None:
        row = self.rows[position]
        row.status, row.exit_code, row.outputs, row.log = (
            outcome.status,
            outcome.exit_code,
            outcome.outputs,
            outcome.log,
        )
        row.reason, row.started_at, row.finished_at = outcome.reason, outcome.started_at, outcome.finished_at

    async def _before_end(self, session: AsyncSession) -> None:
        await self.announce()
