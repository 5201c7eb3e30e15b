"""Firing a trigger: start its workflow as the platform, with origin ("trigger", id), its cause and context.

Every execution a trigger starts gets the trigger context under the `trigger` input when the workflow's input schema
allows it, and records who caused it (four-eyes keeps them off its gates): a schedule's owner (who created or last
changed the trigger), the requester and requested-for of the ITSM record behind an event, nobody for a webhook.
After downtime only the most recent missed due time of a schedule fires; older ones are skipped.
"""

from __future__ import annotations

import hmac
import uuid
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.automation.definitions import repository as repo
from tenantplane.automation.runs import service
from tenantplane.automation.triggers.models import TriggerFiring, WorkflowTrigger
from tenantplane.automation.triggers.schedule import arm, last_due, next_due, now
from tenantplane.automation.triggers.service import hash_token
from tenantplane.executions import causes
from tenantplane.executions.causes import Cause
from tenantplane.executions.models import Execution
from tenantplane.kit.errors import DomainError, NotFound
from tenantplane.kit.templating import resolve_references

ORIGIN = "trigger"


log = structlog.get_logger("tenantplane.automation.triggers")


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
    await arm(session, trigger, next_due(trigger.config, max(due, current)))


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
        inputs = resolve_references(trigger.config.get("inputs"), subject)
        execution = await fire_guarded(session, trigger, context, inputs, cause_of(trigger, subject))
        if execution is not None:
            started.append(execution)
    return started
