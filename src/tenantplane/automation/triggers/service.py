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
import secrets
import uuid
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.automation.definitions import repository as repo
from tenantplane.automation.triggers.models import WorkflowTrigger
from tenantplane.automation.triggers.schedule import arm, cancel_pending_fires, ever_fires, next_due, now
from tenantplane.identity.auth import Principal
from tenantplane.kit.errors import NotFound, ValidationFailed

EVENTS = ("itsm.request.approved", "itsm.request.fulfilled", "itsm.change.approved")
HOOK_PATH = "/api/hooks/"


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
        elif not ever_fires(cron):
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


# --- CRUD ----------------------------------------------------------------------------------------------------


async def list_triggers(session: AsyncSession, tenant_id: uuid.UUID, workflow_id: uuid.UUID) -> list[WorkflowTrigger]:

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
        await arm(session, trigger, next_due(config, now()))
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
        await cancel_pending_fires(session, trigger)
        trigger.next_fire_at = None
        if trigger.enabled:
            await arm(session, trigger, next_due(trigger.config, now()))
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
    await cancel_pending_fires(session, trigger)
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


# --- ITSM events ---------------------------------------------------------------------------------------------
