"""A new service request whose approval starts with nothing but rows, written in one INSERT statement: the request,
its timeline (submitted, approval started), its audit event and its approval instance with the instance's events
and assignments; then the instance's jobs. The rows are those the step-by-step submit writes (requests.py).

Times come from one clock reading: the request and its instance at it, timeline and instance events a microsecond
apart in the order the step-by-step submit writes them, so every timeline reads as before.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from tenantplane.approvals.hooks import rung_moved
from tenantplane.approvals.starting import (
    CLOCK,
    START_CTES,
    TICK,
    PlannedStart,
    attach,
    queue_jobs,
    row_json,
    start_rows,
)
from tenantplane.audit.service import event_values
from tenantplane.identity.auth import Principal
from tenantplane.itsm.lifecycle import REQUEST
from tenantplane.itsm.models import CatalogItem, RecordEvent, ServiceRequest
from tenantplane.itsm.service_levels import AT_SUBMIT, ServiceLevel
from tenantplane.sla.clocks import SLA_NOTIFIED, plan_start, planned_read
from tenantplane.sla.clocks import START_CTES as SLA_CTES
from tenantplane.sla.schemas import ClockRead

REQUEST_COLUMNS = (
    "id",
    "tenant_id",
    "number",
    "catalog_item_id",
    "requester_id",
    "requested_for_id",
    "variables",
    "justification",
    "status",
    "approval_instance_id",
    "fulfillment_execution_id",
    "fulfillment_note",
    "fulfillment_type",
    "fulfillment_runbook_id",
    "fulfillment_workflow_id",
    "fulfillment_version",
    "fulfillment_name",
    "fulfillment_parameters",
    "fulfillment_error",
    "fulfillment_runs",
    "idempotency_key",
    "sla_policy_id",
    "closed_at",
)

_EVENT_COLUMNS = ("id", "tenant_id", "record_type", "record_id", "kind", "actor_id", "message", "data")

_REQUEST = f"""service_request AS (
    INSERT INTO service_requests (created_at, updated_at, {", ".join(REQUEST_COLUMNS)})
    SELECT clock.at, clock.at, {", ".join(f"r.{c}" for c in REQUEST_COLUMNS)}
    FROM clock, jsonb_populate_record(NULL::service_requests, CAST(:sr AS jsonb)) AS r
), record_event AS (
    INSERT INTO itsm_record_events (id, tenant_id, created_at, updated_at, record_type, record_id, kind, actor_id,
        message, data)
    SELECT e.id, e.tenant_id, clock.at + e.ordinality * interval '1 microsecond',
        clock.at + e.ordinality * interval '1 microsecond', e.record_type, e.record_id, e.kind, e.actor_id, e.message,
        e.data
    FROM clock, jsonb_populate_recordset(NULL::itsm_record_events, CAST(:re AS jsonb)) WITH ORDINALITY AS e
), audit_event AS (
    INSERT INTO audit_events (id, tenant_id, actor_type, actor_id, actor_label, action, object_type, object_id,
        summary, request_id)
    SELECT a.id, a.tenant_id, a.actor_type, a.actor_id, a.actor_label, a.action, a.object_type, a.object_id,
        a.summary, a.request_id
    FROM jsonb_populate_record(NULL::audit_events, CAST(:au AS jsonb)) AS a
)"""
_STATEMENT = text(f"WITH {CLOCK}, {START_CTES}, {_REQUEST} SELECT at FROM clock")
# With SLA clocks: the same rows and the clocks with their timers, all stamped from one reading taken before (the
# clocks' due times are counted from it), so a request's clocks start exactly when it was submitted.
_STATEMENT_WITH_CLOCKS = text(
    f"WITH clock AS (SELECT CAST(:at AS timestamptz) AS at), {START_CTES}, {_REQUEST}, {SLA_CTES} "
    f"SELECT at, {SLA_NOTIFIED} FROM clock"
)
"""Built once (it runs on every submit): a new `text()` per call would parse its binds and key the compiled
cache again each time."""


@dataclass
class Submitted:
    """What a submit answers: the request, whether this call created it, and (when written in one statement) its
    timeline and the display names of its people, so nothing is read back."""

    request: ServiceRequest
    created: bool
    timeline: list[RecordEvent] | None = None
    people: dict[uuid.UUID, str] = field(default_factory=dict)
    sla: list[ClockRead] = field(default_factory=list)


async def write_new_request(
    session: AsyncSession,
    *,
    actor: Principal,
    item: CatalogItem,
    request: ServiceRequest,
    plan: PlannedStart,
    people: dict[uuid.UUID, str],
    service_level: ServiceLevel | None = None,
) -> Submitted:
    """Write a pinned request (not in the session yet) and its planned approval in one statement, then its jobs;
    with `service_level` (its pinned SLA policy and calendar) its SLA clocks and their timers in the same one."""
    instance = plan.instance
    request.approval_instance_id = instance.id
    owner = {"tenant_id": request.tenant_id, "record_type": REQUEST, "record_id": request.id}
    submitted = f"{request.number} submitted for {item.name}"
    timeline = [
        RecordEvent(id=uuid.uuid4(), **owner, kind="submitted", actor_id=actor.id, message=submitted, data={}),
        RecordEvent(
            id=uuid.uuid4(),
            **owner,
            kind="approval_started",
            actor_id=None,
            message="Waiting for approval",
            data={"approval_instance_id": str(instance.id)},
        ),
    ]
    audit = event_values(
        actor=actor,
        action="service_request.submitted",
        object_type="service_request",
        object_id=request.id,
        summary={"number": request.number, "catalog_item": item.name},
    )
    params = start_rows(plan) | {
        "sr": row_json({column: getattr(request, column) for column in REQUEST_COLUMNS}),
        "re": row_json([{column: getattr(e, column) for column in _EVENT_COLUMNS} for e in timeline]),
        "au": row_json({"id": uuid.uuid4(), **audit}),
    }
    clocks = None
    if service_level is not None and request.sla_policy_id is not None:
        now = datetime.now(UTC)
        clocks = plan_start(
            *service_level,
            tenant_id=request.tenant_id,
            record_type=REQUEST,
            record_id=request.id,
            catalog_item_id=request.catalog_item_id,
            targets=AT_SUBMIT,
            at=now,
            steps=[moved.entered] if (moved := rung_moved(instance, None, now)) and moved.entered is not None else [],
        )
        if clocks is not None:
            params |= {**clocks.params, "at": now}
    statement = _STATEMENT if clocks is None else _STATEMENT_WITH_CLOCKS
    at: datetime = (await session.execute(statement, params)).scalars().one()
    _attach_request(session, request, at)
    attach(session, plan, at)
    for number, event in enumerate(timeline, 1):
        event.created_at = event.updated_at = at + number * TICK
    await queue_jobs(session, plan)
    sla = [planned_read(clock) for clock in clocks.planned] if clocks is not None else []
    return Submitted(request, True, timeline, people, sla)


def _attach_request(session: AsyncSession, request: ServiceRequest, at: datetime) -> None:
    request.created_at = request.updated_at = at
    make_transient_to_detached(request)
    session.add(request)


def new_request_values(**values: Any) -> dict[str, Any]:
    """Every column of a new request (a request attached without a flush must have them all loaded)."""
    defaults: dict[str, Any] = dict.fromkeys(REQUEST_COLUMNS)
    defaults |= {"id": uuid.uuid4(), "fulfillment_runs": 0}
    return defaults | values
