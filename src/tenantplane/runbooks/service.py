"""Business rules of runbooks: save versions, archive, and start executions (job enqueued in the same transaction).

Services flush and write one audit event per change in the caller's transaction; they never commit.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.executions import service as executions
from tenantplane.executions.causes import Cause
from tenantplane.executions.models import Execution
from tenantplane.identity.auth import Principal
from tenantplane.jobs.queue import enqueue
from tenantplane.kit.errors import Conflict, ValidationFailed
from tenantplane.kit.usage import archivable
from tenantplane.runbooks import prestart
from tenantplane.runbooks import repository as repo
from tenantplane.runbooks.inline import InlineRunbookRun, runs_inline
from tenantplane.runbooks.models import Runbook, RunbookVersion
from tenantplane.runbooks.parameters import parameter_problems, with_defaults
from tenantplane.runbooks.schemas import RunbookRead, RunbookWrite
from tenantplane.runbooks.validation import check_parameters_schema, normalise_actions
from tenantplane.secrets.repository import existing_names
from tenantplane.settings import Settings

EXECUTE_JOB = "runbooks.execute"


def _invalid(problems: list[tuple[str, str]]) -> ValidationFailed:
    detail = "; ".join(f"{field}: {message}" for field, message in problems)
    return ValidationFailed(detail, errors=[{"field": field, "message": message} for field, message in problems])


async def checked_definition(session: AsyncSession, *, actor: Principal, data: RunbookWrite) -> dict[str, Any]:
    """The definition as stored, or a 422 listing every problem with the field it is in."""
    actions, problems = normalise_actions(data.actions)
    problems = check_parameters_schema(data.parameters) + problems
    known = await existing_names(session, actor.tenant, data.secrets)
    problems += [
        (f"secrets.{index}", f"no secret named '{name}' in this tenant")
        for index, name in enumerate(data.secrets)
        if name not in known
    ]
    if problems:
        raise _invalid(problems)
    return {
        "name": data.name,
        "description": data.description,
        "parameters": data.parameters,
        "timeout_seconds": data.timeout_seconds,
        "secrets": sorted(set(data.secrets)),
        "queue": data.queue or "default",
        "actions": actions,
    }


async def _flush_name(session: AsyncSession, name: str) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        message = f"A runbook named '{name}' already exists in this tenant."
        raise Conflict(message, errors=[{"field": "name", "message": message}]) from exc


async def _add_version(
    session: AsyncSession, *, actor: Principal, runbook: Runbook, definition: dict[str, Any]
) -> None:
    session.add(
        RunbookVersion(
            tenant_id=runbook.tenant_id,
            runbook_id=runbook.id,
            version=runbook.current_version,
            definition=definition,
            created_by=actor.id,
        )
    )
    await session.flush()


async def create_runbook(session: AsyncSession, *, actor: Principal, data: RunbookWrite) -> RunbookRead:
    definition = await checked_definition(session, actor=actor, data=data)
    runbook = Runbook(
        tenant_id=actor.tenant, name=data.name, description=data.description, current_version=1, created_by=actor.id
    )
    session.add(runbook)
    await _flush_name(session, data.name)
    await _add_version(session, actor=actor, runbook=runbook, definition=definition)
    await record_event(
        session,
        actor=actor,
        action="runbook.created",
        object_type="runbook",
        object_id=runbook.id,
        summary={"name": runbook.name, "version": 1},
    )
    return runbook_read(runbook, definition)


async def update_runbook(
    session: AsyncSession, *, actor: Principal, runbook: Runbook, data: RunbookWrite
) -> RunbookRead:
    """Save the body as the next version; executions keep the version they started with."""
    if runbook.archived_at is not None:
        raise Conflict(f"The runbook '{runbook.name}' is archived; archived runbooks cannot be changed.")
    definition = await checked_definition(session, actor=actor, data=data)
    runbook.name, runbook.description = data.name, data.description
    runbook.current_version += 1
    await _flush_name(session, data.name)
    await _add_version(session, actor=actor, runbook=runbook, definition=definition)
    await session.refresh(runbook, ["updated_at"])
    await record_event(
        session,
        actor=actor,
        action="runbook.updated",
        object_type="runbook",
        object_id=runbook.id,
        summary={"name": runbook.name, "version": runbook.current_version},
    )
    return runbook_read(runbook, definition)


async def archive_runbook(session: AsyncSession, *, actor: Principal, runbook: Runbook, force: bool = False) -> None:
    """Archive (the DELETE of the API): hidden from lists, no new executions; history and versions stay.

    While active catalog items (runbook fulfillment) or the current version of a live workflow (runbook steps) use
    it, a 409 lists them; `force` archives anyway and the audit event lists them.
    """
    if runbook.archived_at is not None:
        raise Conflict(f"The runbook '{runbook.name}' is already archived.")
    what = f"The runbook '{runbook.name}'"
    used_by = await archivable(session, "runbook", runbook.tenant_id, str(runbook.id), what=what, force=force)
    runbook.archived_at = datetime.now(UTC)
    await session.flush()
    summary: dict[str, Any] = {"name": runbook.name, "version": runbook.current_version}
    if used_by:
        summary.update(forced=True, used_by=[use.as_dict() for use in used_by])
    await record_event(
        session,
        actor=actor,
        action="runbook.archived",
        object_type="runbook",
        object_id=runbook.id,
        summary=summary,
    )


async def execute_runbook(
    session: AsyncSession,
    *,
    actor: Principal | None,
    runbook: Runbook,
    parameters: dict[str, Any],
    started_by: uuid.UUID | None = None,
    origin: tuple[str, uuid.UUID] | None = None,
    cause: Cause | None = None,
    version: int | None = None,
    inline: Settings | None = None,
) -> Execution:
    """A queued execution of `version` (None: the current one), and its job, in the caller's transaction.

    `actor=None` is the platform itself (e.g. fulfilling a request for `started_by`); `origin` names what
    started it, whose execution hooks hear when it finishes; `cause` who caused it (see executions.causes).
    A pinned `version` is what an approver saw. With `inline` (the settings of the job calling it), a version
    whose actions are all inline built-ins (`inline.runs_inline`) has no job: it runs to its end right here.
    """
    if runbook.archived_at is not None:
        raise Conflict(f"The runbook '{runbook.name}' is archived and cannot be executed.")
    number = runbook.current_version if version is None else version
    definition = await repo.version_definition(session, runbook.tenant_id, runbook.id, number)
    parameters = with_defaults(definition.get("parameters"), parameters)
    problems = parameter_problems(definition.get("parameters"), parameters)
    if problems:
        raise ValidationFailed("; ".join(f"{p['field']}: {p['message']}" for p in problems), errors=problems)
    here = inline is not None and runs_inline(definition)
    execution_id, job_id, ready = uuid.uuid4(), None, None
    if not here:  # the job first, so the execution is inserted with it (no UPDATE after)
        job_id = await enqueue(
            session,
            kind=EXECUTE_JOB,
            payload={"execution_id": str(execution_id)},
            tenant_id=runbook.tenant_id,
            queue=definition.get("queue") or "default",
        )
        # Handed off to this worker: its start is done here, so the execution goes in begun (prestart.py).
        ready = await prestart.startable(session, runbook.tenant_id, job_id, definition)
    execution = await executions.create_execution(
        session,
        tenant_id=runbook.tenant_id,
        kind="runbook",
        started_by=actor.id if actor else started_by,
        parameters=parameters,
        steps=[(a["name"], a["type"]) for a in definition["actions"]],
        runbook=(runbook.id, number),
        origin=origin,
        cause=cause,
        execution_id=execution_id,
        job_id=job_id,
        flush=not here and ready is None,
    )
    if ready is not None:
        assert job_id is not None
        await prestart.start(session, execution, job_id, definition, ready)

    async def announce() -> None:
        await record_event(
            session,
            flush=not here,
            actor=actor,
            tenant_id=runbook.tenant_id,  # a run the platform started (a workflow step's) is the tenant's too
            action="runbook.executed",
            object_type="execution",
            object_id=execution.id,
            summary={
                "runbook_id": runbook.id,
                "runbook": runbook.name,
                "version": number,
                "parameters": sorted(parameters),
                **({"origin": f"{origin[0]}:{origin[1]}"} if origin else {}),
            },
        )

    if here:  # recorded as it ended, its start announced just before its end (and its origin's hooks)
        assert inline is not None
        await InlineRunbookRun(session, execution, definition, inline, announce).run()
    else:
        await announce()
    return execution


def runbook_read(runbook: Runbook, definition: dict[str, Any]) -> RunbookRead:
    return RunbookRead(
        id=runbook.id,
        name=runbook.name,
        description=runbook.description,
        version=runbook.current_version,
        archived_at=runbook.archived_at,
        created_at=runbook.created_at,
        updated_at=runbook.updated_at,
        parameters=definition.get("parameters"),
        timeout_seconds=definition["timeout_seconds"],
        secrets=definition.get("secrets", []),
        queue=definition.get("queue") or "default",
        actions=definition["actions"],
    )
