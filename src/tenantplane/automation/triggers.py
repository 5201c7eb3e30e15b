"""Workflow triggers: what starts a workflow without a person pressing "execute".

Three kinds: `schedule` (cron in a time zone, fired by a job per due time), `webhook` (an unauthenticated
POST to a secret URL) and `itsm_event` (an ITSM request or change was approved, a request fulfilled).
Every execution a trigger starts has origin ("trigger", trigger id) and gets the trigger context under the
`trigger` input when the workflow's input schema allows it. It records who caused it (four-eyes keeps them off
its gates): a schedule's owner (who created or last changed the trigger), the requester and requested-for of the
ITSM record behind an event, and nobody for an inbound webhook.

A schedule fires once per due time however many workers run: the job is deduplicated by
`schedule:<trigger>:<due>` and the firing row is unique on (trigger_id, due_at). After downtime only the most
recent missed due time fires; older ones are skipped. A schedule whose fire job ended without arming the next
one (it went `dead`, or an operator cancelled it) is re-armed by the workers' housekeeping (`rearm_schedules`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog
from croniter import CroniterBadDateError, croniter
from sqlalchemy import String, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.automation.models import TriggerFiring, WorkflowTrigger
from tenantplane.executions import causes
from tenantplane.executions.causes import Cause
from tenantplane.executions.models import Execution
from tenantplane.identity.auth import Principal
from tenantplane.jobs.models import Job
from tenantplane.jobs.queue import enqueue
from tenantplane.kit.errors import DomainError, NotFound, ValidationFailed

EVENTS = ("itsm.request.approved", "itsm.request.fulfilled", "itsm.change.approved")
SCHEDULE_FIRE = "automation.schedule_fire"
ORIGIN = "trigger"
HOOK_PATH = "/api/hooks/"
log = structlog.get_logger("tenantplane.automation.triggers")


def now() -> datetime:
    return datetime.now(UTC)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- configuration -------------------------------------------------------------------------------------------


def config_problems(kind: str, config: dict[str, Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    inputs = config.get("inputs", {})
    if not isinstance(inputs, dict):
        problems.append(("config.inputs", "must be an object"))
    if kind == "schedule":
        cron = config.get("cron")
        if not isinstance(cron, str) or len(cron.split()) != 5 or not croniter.is_valid(cron):
            problems.append(("config.cron", "must be a valid five-field cron expression"))
        elif not _ever_fires(cron):
            problems.append(("config.cron", f"'{cron}' never fires (no such date, e.g. 31 February)"))
        zone = config.get("timezone", "UTC")
        try:
            ZoneInfo(zone if isinstance(zone, str) and zone else "")
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            problems.append(("config.timezone", f"{zone!r} is not a known IANA time zone"))
    elif kind == "itsm_event":
        if config.get("event") not in EVENTS:
            problems.append(("config.event", f"must be one of {', '.join(EVENTS)}"))
        item = config.get("catalog_item_id")
        if item is not None:
            try:
                uuid.UUID(str(item))
            except ValueError:
                problems.append(("config.catalog_item_id", "must be a UUID"))
    return problems


def _ever_fires(cron: str) -> bool:
    """A valid cron can still name no real date (`0 0 31 2 *`); croniter then gives up searching."""
    try:
        croniter(cron, now()).get_next(datetime)
    except CroniterBadDateError:
        return False
    return True


def next_due(config: dict[str, Any], after: datetime) -> datetime:
    """The first due time strictly after `after`, computed in the schedule's time zone."""
    zone = ZoneInfo(config.get("timezone") or "UTC")
    due: datetime = croniter(config["cron"], after.astimezone(zone)).get_next(datetime)
    return due.astimezone(UTC)


def last_due(config: dict[str, Any], at: datetime) -> datetime:
    """The most recent due time at or before `at` (cron has minute granularity)."""
    zone = ZoneInfo(config.get("timezone") or "UTC")
    minute = at.astimezone(zone).replace(second=0, microsecond=0)
    if croniter.match(config["cron"], minute):
        return minute.astimezone(UTC)
    due: datetime = croniter(config["cron"], minute).get_prev(datetime)
    return due.astimezone(UTC)


_ACTIVE_JOB = ("queued", "running", "failed")


async def _schedule(session: AsyncSession, trigger: WorkflowTrigger, due: datetime) -> None:
    trigger.next_fire_at = due
    key = f"schedule:{trigger.id}:{due.isoformat()}"
    payload = {"trigger_id": str(trigger.id), "due_at": due.isoformat()}
    await enqueue(session, kind=SCHEDULE_FIRE, payload=payload, tenant_id=trigger.tenant_id, run_at=due, dedupe_key=key)


# --- CRUD ----------------------------------------------------------------------------------------------------


async def list_triggers(session: AsyncSession, tenant_id: uuid.UUID, workflow_id: uuid.UUID) -> list[WorkflowTrigger]:
    from tenantplane.automation import repository as repo

    await repo.get_workflow(session, tenant_id, workflow_id)
    stmt = (
        select(WorkflowTrigger)
        .where(WorkflowTrigger.tenant_id == tenant_id, WorkflowTrigger.workflow_id == workflow_id)
        .order_by(WorkflowTrigger.created_at, WorkflowTrigger.id)
    )
    return list((await session.scalars(stmt)).all())


async def create_trigger(
    session: AsyncSession,
    *,
    actor: Principal,
    workflow_id: uuid.UUID,
    kind: str,
    config: dict[str, Any],
    enabled: bool = True,
) -> tuple[WorkflowTrigger, str | None]:
    """A new trigger (422 `config.<field>`); a webhook's secret token is returned here and never again."""
    from tenantplane.automation import repository as repo

    workflow = await repo.get_workflow(session, actor.tenant, workflow_id)
    problems = config_problems(kind, config)
    if problems:
        errors = [{"field": f, "message": m} for f, m in problems]
        raise ValidationFailed("; ".join(f"{f}: {m}" for f, m in problems), errors=errors)
    token = secrets.token_urlsafe(32) if kind == "webhook" else None
    trigger = WorkflowTrigger(
        tenant_id=actor.tenant,
        workflow_id=workflow.id,
        kind=kind,
        enabled=enabled,
        config=config,
        token_hash=hash_token(token) if token else None,
        created_by=actor.id,
        owner_id=actor.id,
    )
    session.add(trigger)
    await session.flush()
    if kind == "schedule" and enabled:
        await _schedule(session, trigger, next_due(config, now()))
    await record_event(
        session,
        actor=actor,
        action="workflow_trigger.created",
        object_type="workflow_trigger",
        object_id=trigger.id,
        summary={"workflow_id": workflow.id, "kind": kind, "enabled": enabled},
    )
    return trigger, token


async def _locked_trigger(
    session: AsyncSession, tenant_id: uuid.UUID, workflow_id: uuid.UUID, trigger_id: uuid.UUID
) -> WorkflowTrigger:
    trigger = await session.scalar(
        select(WorkflowTrigger)
        .where(
            WorkflowTrigger.tenant_id == tenant_id,
            WorkflowTrigger.workflow_id == workflow_id,
            WorkflowTrigger.id == trigger_id,
        )
        .with_for_update()
    )
    if trigger is None:
        raise NotFound(f"No trigger {trigger_id} on workflow {workflow_id} in this tenant.")
    return trigger


async def get_trigger(
    session: AsyncSession, tenant_id: uuid.UUID, workflow_id: uuid.UUID, trigger_id: uuid.UUID
) -> WorkflowTrigger:
    trigger = await session.scalar(
        select(WorkflowTrigger).where(
            WorkflowTrigger.tenant_id == tenant_id,
            WorkflowTrigger.workflow_id == workflow_id,
            WorkflowTrigger.id == trigger_id,
        )
    )
    if trigger is None:
        raise NotFound(f"No trigger {trigger_id} on workflow {workflow_id} in this tenant.")
    return trigger


async def _cancel_pending_fires(session: AsyncSession, trigger: WorkflowTrigger) -> None:
    await session.execute(
        update(Job)
        .where(
            Job.tenant_id == trigger.tenant_id,
            Job.kind == SCHEDULE_FIRE,
            Job.status.in_(("queued", "failed")),
            Job.payload["trigger_id"].astext == str(trigger.id),
        )
        .values(status="cancelled", finished_at=now())
    )


async def update_trigger(
    session: AsyncSession,
    *,
    actor: Principal,
    workflow_id: uuid.UUID,
    trigger_id: uuid.UUID,
    enabled: bool | None = None,
    config: dict[str, Any] | None = None,
) -> WorkflowTrigger:
    """Enable, disable or reconfigure a trigger (its kind and a webhook's secret stay); a schedule is re-armed
    from now: its pending fire is cancelled and, when enabled, the next due time of the new cron is queued."""
    trigger = await _locked_trigger(session, actor.tenant, workflow_id, trigger_id)
    if config is not None:
        problems = config_problems(trigger.kind, config)
        if problems:
            errors = [{"field": f, "message": m} for f, m in problems]
            raise ValidationFailed("; ".join(f"{f}: {m}" for f, m in problems), errors=errors)
        trigger.config = config
    if enabled is not None:
        trigger.enabled = enabled
    trigger.owner_id = actor.id  # whoever changed what it runs, or when, now answers for its runs
    if trigger.kind == "schedule":
        await _cancel_pending_fires(session, trigger)
        trigger.next_fire_at = None
        if trigger.enabled:
            await _schedule(session, trigger, next_due(trigger.config, now()))
    await session.flush()
    await record_event(
        session,
        actor=actor,
        action="workflow_trigger.updated",
        object_type="workflow_trigger",
        object_id=trigger.id,
        summary={"workflow_id": workflow_id, "kind": trigger.kind, "enabled": trigger.enabled},
    )
    return trigger


async def delete_trigger(
    session: AsyncSession, *, actor: Principal, workflow_id: uuid.UUID, trigger_id: uuid.UUID
) -> None:
    """Delete; its pending schedule job is cancelled (one that is already running finds no trigger)."""
    trigger = await _locked_trigger(session, actor.tenant, workflow_id, trigger_id)
    await _cancel_pending_fires(session, trigger)
    await session.delete(trigger)
    await session.flush()
    await record_event(
        session,
        actor=actor,
        action="workflow_trigger.deleted",
        object_type="workflow_trigger",
        object_id=trigger_id,
        summary={"workflow_id": workflow_id, "kind": trigger.kind},
    )


# --- firing --------------------------------------------------------------------------------------------------


def _with_trigger(schema: dict[str, Any] | None, inputs: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """Add the trigger context as the `trigger` input when the workflow's input schema accepts it."""
    if not schema or "trigger" in (schema.get("properties") or {}) or schema.get("additionalProperties", True):
        return {**inputs, "trigger": context}
    return inputs


def cause_of(trigger: WorkflowTrigger, subject: dict[str, Any] | None = None) -> Cause:
    """Who caused a run of this trigger: a schedule's owner, the people behind an ITSM event's record, nobody for
    an inbound webhook (anyone with its URL may call it: there is no person to hold to four-eyes)."""
    if trigger.kind == "schedule":
        return Cause.of("schedule", ("trigger_owner", trigger.owner_id))
    if trigger.kind == "itsm_event":
        record = (subject or {}).get("request") or (subject or {}).get("change") or {}
        return causes.for_request("itsm_event", record)
    return Cause.of("webhook")


async def fire(
    session: AsyncSession, trigger: WorkflowTrigger, context: dict[str, Any], inputs: Any, cause: Cause | None = None
) -> Execution:
    """Start the trigger's workflow as the platform itself, with origin ("trigger", trigger id) and its cause."""
    # Imported here: automation.models imports this module (for its tables), and the service imports those.
    from tenantplane.automation import repository as repo
    from tenantplane.automation import service

    workflow = await repo.get_workflow(session, trigger.tenant_id, trigger.workflow_id)
    version = await repo.get_version(session, trigger.tenant_id, workflow.id, workflow.version)
    base = dict(inputs) if isinstance(inputs, dict) else {}
    execution = await service.execute_workflow(
        session,
        actor=None,
        tenant_id=trigger.tenant_id,
        workflow_id=trigger.workflow_id,
        inputs=_with_trigger(version.definition.get("inputs"), base, context),
        started_by=None,
        origin=(ORIGIN, trigger.id),
        trigger=context,
        cause=cause or cause_of(trigger),
    )
    trigger.last_fired_at = now()
    await session.flush()
    return execution


async def fire_guarded(
    session: AsyncSession, trigger: WorkflowTrigger, context: dict[str, Any], inputs: Any, cause: Cause | None = None
) -> Execution | None:
    """Fire in a savepoint: an archived workflow or refused inputs are logged, and never break the caller
    (the next due time of a schedule, or the ITSM transition that emitted the event)."""
    try:
        async with session.begin_nested():
            return await fire(session, trigger, context, inputs, cause)
    except DomainError as error:
        log.warning("trigger not fired", trigger_id=str(trigger.id), reason=error.detail)
        return None


async def fire_schedule(session: AsyncSession, *, tenant_id: uuid.UUID, trigger_id: uuid.UUID, due: datetime) -> None:
    """The job of one due time: record the firing (a duplicate stops here), start, schedule the next."""
    trigger = await session.scalar(
        select(WorkflowTrigger)
        .where(WorkflowTrigger.tenant_id == tenant_id, WorkflowTrigger.id == trigger_id)
        .with_for_update()
    )
    if trigger is None or not trigger.enabled or trigger.kind != "schedule":
        return
    current = now()
    # Missed fires after downtime: only the most recent missed due time fires; older ones are skipped.
    latest = last_due(trigger.config, current)
    if latest > due:
        due = latest
    firing_id = await session.scalar(
        insert(TriggerFiring)
        .values(id=uuid.uuid4(), tenant_id=tenant_id, trigger_id=trigger.id, due_at=due)
        .on_conflict_do_nothing(index_elements=["trigger_id", "due_at"])
        .returning(TriggerFiring.id)
    )
    if firing_id is not None:
        context = {"kind": "schedule", "trigger_id": str(trigger.id), "due_at": due.isoformat()}
        execution = await fire_guarded(session, trigger, context, trigger.config.get("inputs"))
        firing = await session.get(TriggerFiring, firing_id)
        if firing is not None and execution is not None:
            firing.execution_id = execution.id
    await _schedule(session, trigger, next_due(trigger.config, max(due, current)))


async def rearm_schedules(session: AsyncSession) -> int:
    """Re-arm every enabled schedule (of any tenant) that has no active fire job: its last one went `dead` or
    was cancelled without queueing the next. The missed-fire policy applies: a past due time fires once, now.
    Returns how many were re-armed. Triggers another worker is re-arming (locked) are skipped."""
    active = (
        select(Job.id)
        .where(
            Job.kind == SCHEDULE_FIRE,
            Job.status.in_(_ACTIVE_JOB),
            Job.payload["trigger_id"].astext == func.cast(WorkflowTrigger.id, String),
        )
        .exists()
    )
    stmt = (
        select(WorkflowTrigger)
        .where(WorkflowTrigger.kind == "schedule", WorkflowTrigger.enabled.is_(True), ~active)
        .with_for_update(skip_locked=True)
    )
    stranded = (await session.scalars(stmt)).all()
    for trigger in stranded:
        current = now()
        due = trigger.next_fire_at if trigger.next_fire_at is not None else next_due(trigger.config, current)
        fired = await session.scalar(
            select(TriggerFiring.id).where(TriggerFiring.trigger_id == trigger.id, TriggerFiring.due_at == due)
        )
        if fired is not None:
            due = next_due(trigger.config, max(due, current))
        log.warning("schedule re-armed: its fire job had ended", trigger_id=str(trigger.id), due=due.isoformat())
        await _schedule(session, trigger, due)
    return len(stranded)


async def find_webhook(session: AsyncSession, token: str) -> WorkflowTrigger:
    """The enabled webhook whose token this is; 404 for an unknown or disabled one (before its body is read)."""
    digest = hash_token(token)
    trigger = await session.scalar(
        select(WorkflowTrigger).where(WorkflowTrigger.kind == "webhook", WorkflowTrigger.token_hash == digest)
    )
    if trigger is None or trigger.token_hash is None or not hmac.compare_digest(trigger.token_hash, digest):
        raise NotFound("No such webhook.")
    if not trigger.enabled:
        raise NotFound("No such webhook.")
    return trigger


async def fire_webhook(session: AsyncSession, trigger: WorkflowTrigger, payload: Any) -> Execution:
    """Start the webhook's workflow with `payload` (already parsed under the input rules) as `trigger.payload`."""
    context = {"kind": "webhook", "trigger_id": str(trigger.id), "payload": payload}
    return await fire(session, trigger, context, trigger.config.get("inputs"))


# --- ITSM events ---------------------------------------------------------------------------------------------

_TEMPLATE = re.compile(r"^\{\{\s*([A-Za-z_][\w.]*)\s*\}\}$")


def render(value: Any, subject: dict[str, Any]) -> Any:
    """`"{{ request.variables.x }}"` (a whole string) becomes that value of the subject; others stay."""
    if isinstance(value, dict):
        return {k: render(v, subject) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, subject) for v in value]
    if isinstance(value, str) and (match := _TEMPLATE.match(value)):
        current: Any = subject
        for part in match.group(1).split("."):
            current = current.get(part) if isinstance(current, dict) else None
        return current
    return value


async def on_itsm_event(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    event: str,
    subject: dict[str, Any],
    catalog_item_id: uuid.UUID | None = None,
) -> list[Execution]:
    """Fire every enabled `itsm_event` trigger of this event (and catalog item, when it names one)."""
    stmt = select(WorkflowTrigger).where(
        WorkflowTrigger.tenant_id == tenant_id,
        WorkflowTrigger.kind == "itsm_event",
        WorkflowTrigger.enabled.is_(True),
        WorkflowTrigger.config["event"].astext == event,
    )
    started: list[Execution] = []
    for trigger in (await session.scalars(stmt)).all():
        wanted = trigger.config.get("catalog_item_id")
        if wanted is not None and (catalog_item_id is None or str(catalog_item_id) != str(wanted)):
            continue
        context = {"kind": "itsm_event", "trigger_id": str(trigger.id), "event": event, **subject}
        inputs = render(trigger.config.get("inputs"), subject)
        execution = await fire_guarded(session, trigger, context, inputs, cause_of(trigger, subject))
        if execution is not None:
            started.append(execution)
    return started
