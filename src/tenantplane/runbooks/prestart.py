"""The start of a runbook execution handed off to this worker, done in the transaction that hands it off.

A workflow's script step ends in the transaction that starts the next step's runbook, whose job goes in claimed by
this worker (a hand-off: `jobs.queue.enqueue`). That transaction also does what the new job's first transaction would
do (`RunbookRun._begin`): the execution is inserted `running` with its first action, its tenant's slot is taken (passed
on from the run ending in it, if that run held one of the same tenant), its secrets read. The job then goes straight
to its actions: one transaction and eight statements fewer per step.

Exactly what a begun run is: a worker that dies after the commit leaves the execution `running`, and the takeover
fails it as interrupted, as it would a run whose own first transaction had committed. A worker that stops instead of
running it gives it back (`give_back`): queued again, its first action pending, for another worker to start afresh.
Whatever cannot be done here (no slot free, a secret that cannot be read) is left to the job, which does it as usual.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from tenantplane.executions.models import Execution
from tenantplane.executions.service import move, now, pending_step_runs
from tenantplane.identity.models import Tenant
from tenantplane.jobs.registry import handed_off_in, job_settings, prepare_handoff
from tenantplane.kit.crypto import SecretUnreadable
from tenantplane.runbooks import slots
from tenantplane.secrets.service import MissingSecrets, load_secret_values


@dataclass
class PreparedStart:
    """What `RunbookRun._begin` would have read and written, for the job's handler (`JobContext.prepared`)."""

    execution_id: uuid.UUID
    tenant_id: uuid.UUID
    parameters: dict[str, Any]
    secrets: dict[str, str]
    tenant_allowed: list[str]
    actions: list[dict[str, Any]]
    timeout: float
    context: dict[str, Any] = field(default_factory=dict)

    async def give_back(self, conn: AsyncConnection) -> None:
        """Undo the start (the worker is stopping): queued again, nothing of it begun; its slot is free again."""
        ids = {"id": self.execution_id, "tenant": self.tenant_id}
        await conn.execute(
            text(
                "UPDATE executions SET status = 'queued', started_at = NULL, updated_at = clock_timestamp() "
                "WHERE id = :id AND tenant_id = :tenant AND status = 'running'"
            ),
            ids,
        )
        await conn.execute(
            text(
                "UPDATE step_runs SET status = 'pending', started_at = NULL "
                "WHERE execution_id = :id AND tenant_id = :tenant AND status = 'running'"
            ),
            ids,
        )


async def startable(
    session: AsyncSession, tenant_id: uuid.UUID, job_id: uuid.UUID, definition: dict[str, Any]
) -> tuple[Tenant, dict[str, str]] | None:
    """Whether the handed-off job of a new execution can be started here: its tenant (with a slot taken) and secrets.

    Called before the execution is created, so that it is inserted `running` (no UPDATE after)."""
    settings = job_settings(session)
    if settings is None or not handed_off_in(session, job_id) or not definition["actions"]:
        return None
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None or not await slots.take_here(session, tenant, settings):
        return None
    names = definition.get("secrets", [])
    if not names:
        return tenant, {}
    try:
        values = await load_secret_values(
            session, tenant_id=tenant_id, names=names, secret_key=settings.resolved_secret_key
        )
    except (MissingSecrets, SecretUnreadable):
        slots.untake(session)
        return None  # the job's own start fails the run with the reason
    return tenant, values


async def start(
    session: AsyncSession,
    execution: Execution,
    job_id: uuid.UUID,
    definition: dict[str, Any],
    ready: tuple[Tenant, dict[str, str]],
) -> None:
    """Begin the unflushed `execution` (running, its first action running), flush it, and hand the rest to its job."""
    tenant, secrets = ready
    await move(
        session, tenant_id=execution.tenant_id, execution_id=execution.id, to="running", locked=execution, flush=False
    )
    first = pending_step_runs(session, execution)[0]
    first.status, first.started_at = "running", now()
    await session.flush()
    prepared = PreparedStart(
        execution_id=execution.id,
        tenant_id=execution.tenant_id,
        parameters=dict(execution.parameters),
        secrets=secrets,
        tenant_allowed=list(tenant.egress_allow_list),
        actions=definition["actions"],
        timeout=float(definition["timeout_seconds"]),
        context={"execution": execution_context(execution)},
    )
    prepare_handoff(session, job_id, prepared)


def execution_context(execution: Execution) -> dict[str, Any]:
    """What templates of a run's actions see as `execution`."""
    return {
        "id": str(execution.id),
        "runbook_id": str(execution.runbook_id),
        "runbook_version": execution.runbook_version,
    }
