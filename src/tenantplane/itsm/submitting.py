"""A new service request whose approval starts with nothing but rows, written in one INSERT statement: the request,
its timeline (submitted, approval started), its audit event and its approval instance with the instance's events
and assignments; then the instance's jobs. The rows are those the step-by-step submit writes (requests.py).

Times come from one clock reading: the request and its instance at it, timeline and instance events a microsecond
apart in the order the step-by-step submit writes them, so every timeline reads as before.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from tenantplane.approvals.starting import CLOCK, START_CTES, TICK, PlannedStart, attach, queue_jobs, start_rows
from tenantplane.audit.service import event_values
from tenantplane.identity.auth import Principal
from tenantplane.itsm.lifecycle import REQUEST
from tenantplane.itsm.models import CatalogItem, RecordEvent, ServiceRequest

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
    "closed_at",
)
_JSON_COLUMNS = {"variables", "fulfillment_parameters"}

_REQUEST = f"""service_request AS (
    INSERT INTO service_requests (created_at, updated_at, {", ".join(REQUEST_COLUMNS)})
    VALUES ((SELECT at FROM clock), (SELECT at FROM clock), {", ".join(f":sr_{c}" for c in REQUEST_COLUMNS)})
), record_event AS (
    INSERT INTO itsm_record_events (id, tenant_id, created_at, updated_at, record_type, record_id, kind, actor_id,
        message, data)
    SELECT e.id, :sr_tenant_id, clock.at + e.n * interval '1 microsecond', clock.at + e.n * interval '1 microsecond',
        :re_type, :sr_id, e.kind, CAST(NULLIF(e.actor, '') AS uuid), e.message, e.data
    FROM clock, unnest(CAST(:re_ids AS uuid[]), CAST(:re_kinds AS text[]), CAST(:re_actors AS text[]),
        CAST(:re_messages AS text[]), CAST(:re_data AS jsonb[])) WITH ORDINALITY AS e(id, kind, actor, message, data, n)
), audit_event AS (
    INSERT INTO audit_events (id, tenant_id, actor_type, actor_id, actor_label, action, object_type, object_id,
        summary, request_id)
    VALUES (:au_id, :au_tenant_id, :au_actor_type, :au_actor_id, :au_actor_label, :au_action, :au_object_type,
        :au_object_id, :au_summary, :au_request_id)
)"""

_STATEMENT = text(f"WITH {CLOCK}, {START_CTES}, {_REQUEST} SELECT at FROM clock")
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


async def write_new_request(
    session: AsyncSession,
    *,
    actor: Principal,
    item: CatalogItem,
    request: ServiceRequest,
    plan: PlannedStart,
    people: dict[uuid.UUID, str],
) -> Submitted:
    """Write a pinned request (not in the session yet) and its planned approval in one statement, then its jobs."""
    instance = plan.instance
    request.approval_instance_id = instance.id
    timeline = [
        RecordEvent(
            kind="submitted", actor_id=actor.id, message=f"{request.number} submitted for {item.name}", data={}
        ),
        RecordEvent(
            kind="approval_started",
            actor_id=None,
            message="Waiting for approval",
            data={"approval_instance_id": str(instance.id)},
        ),
    ]
    params = start_rows(plan)
    for column in REQUEST_COLUMNS:
        value = getattr(request, column)
        params[f"sr_{column}"] = json.dumps(value) if column in _JSON_COLUMNS and value is not None else value
    params |= {
        "re_type": REQUEST,
        "re_ids": [uuid.uuid4() for _ in timeline],
        "re_kinds": [e.kind for e in timeline],
        "re_actors": [str(e.actor_id) if e.actor_id else "" for e in timeline],
        "re_messages": [e.message for e in timeline],
        "re_data": [json.dumps(e.data) for e in timeline],
    }
    audit = event_values(
        actor=actor,
        action="service_request.submitted",
        object_type="service_request",
        object_id=request.id,
        summary={"number": request.number, "catalog_item": item.name},
    )
    params |= {f"au_{key}": value for key, value in audit.items()}
    params |= {"au_id": uuid.uuid4(), "au_summary": json.dumps(audit["summary"])}
    at: datetime = (await session.execute(_STATEMENT, params)).scalar_one()
    _attach_request(session, request, at)
    attach(session, plan, at)
    for number, (event, event_id) in enumerate(zip(timeline, params["re_ids"], strict=True), 1):
        event.id, event.tenant_id, event.record_type, event.record_id = event_id, request.tenant_id, REQUEST, request.id
        event.created_at = event.updated_at = at + number * TICK
    await queue_jobs(session, plan)
    return Submitted(request, True, timeline, people)


def _attach_request(session: AsyncSession, request: ServiceRequest, at: datetime) -> None:
    request.created_at = request.updated_at = at
    make_transient_to_detached(request)
    session.add(request)


def new_request_values(**values: Any) -> dict[str, Any]:
    """Every column of a new request (a request attached without a flush must have them all loaded)."""
    defaults: dict[str, Any] = dict.fromkeys(REQUEST_COLUMNS)
    defaults |= {"id": uuid.uuid4(), "fulfillment_runs": 0}
    return defaults | values
