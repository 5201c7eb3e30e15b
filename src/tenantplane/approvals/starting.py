"""Starting an approval instance in few statements: resolve every step's approvers and their delegates (one
query), apply Start, then write the instance in its started state, its events and its assignments in one INSERT
statement (its jobs follow through the queue's `enqueue`).

`plan_start` answers None when the start needs more than rows (a step flagged for lack of approvers, or an instance
that finished at once, whose hooks must run): the caller then starts it effect by effect (`service._start_by_effects`).
The rows are those the effect-by-effect start writes; their times come from one clock reading, a microsecond apart
in the order the effects would have written them.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from tenantplane.approvals import engine
from tenantplane.approvals.approvers import manager_subject, resolve_with_delegates
from tenantplane.approvals.definitions import spec_of
from tenantplane.approvals.effects import (
    ESCALATE_JOB,
    NOTIFY_JOB,
    REMIND_JOB,
    TIMEOUT_JOB,
    Notice,
    notice_payload,
    timeline_view,
)
from tenantplane.approvals.engine import (
    InstanceState,
    NotifyApprovers,
    ScheduleEscalation,
    ScheduleReminder,
    ScheduleTimeout,
    Start,
)
from tenantplane.approvals.errors import engine_refusals
from tenantplane.approvals.hooks import run_rung_hooks, rung_moved
from tenantplane.approvals.models import ApprovalDefinition, ApprovalDefinitionVersion, ApprovalInstance
from tenantplane.identity.callers import PrincipalUser
from tenantplane.jobs.queue import enqueue
from tenantplane.kit.errors import ValidationFailed

TICK = timedelta(microseconds=1)
Timer = ScheduleTimeout | ScheduleReminder | ScheduleEscalation
TIMER_JOBS: dict[type[Timer], str] = {
    ScheduleTimeout: TIMEOUT_JOB,
    ScheduleReminder: REMIND_JOB,
    ScheduleEscalation: ESCALATE_JOB,
}
CLOCK = "clock AS (SELECT clock_timestamp() AS at)"
"""The one clock reading every row of a start is stamped from (a volatile CTE: evaluated once)."""


def who_may_decide(state: InstanceState) -> set[tuple[str, uuid.UUID]]:
    """(step, user) pairs for every open step and every eligible approver not yet heard on it."""
    pairs: set[tuple[str, uuid.UUID]] = set()
    for step in state.open_steps():
        heard = {d.user_id for d in step.decisions} | {d.principal_id for d in step.decisions}
        pairs.update((step.name, uuid.UUID(user)) for user in (step.eligible_ids or frozenset()) - heard)
    return pairs


def refuse_archived(definition: ApprovalDefinition) -> None:
    if definition.archived_at is not None:
        raise ValidationFailed.field(
            "definition_id", f"approval definition {definition.id} is archived; use an active approval definition"
        )


@dataclass(frozen=True)
class Job:
    kind: str
    payload: dict[str, Any]
    delay_seconds: int | None = None


@dataclass
class PlannedStart:
    """A started instance not yet written: the instance (outside the session), its events in order, who may decide
    and the jobs to queue."""

    instance: ApprovalInstance
    events: list[tuple[str, dict[str, Any], uuid.UUID | None]] = field(default_factory=list)
    assignments: list[tuple[str, uuid.UUID]] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)


@dataclass(frozen=True)
class Resolution:
    """Every step's approvers now (step name → user ids) and the active delegate of each approver found."""

    approvers: dict[str, frozenset[str]]
    delegates: dict[str, str]


async def resolve_start(
    session: AsyncSession,
    *,
    version: ApprovalDefinitionVersion,
    requester_id: uuid.UUID,
    requested_for_id: uuid.UUID | None,
) -> Resolution:
    """What Start reads of the directory, in one query (callers may run it alongside other work)."""
    requested_for_id = None if requested_for_id == requester_id else requested_for_id
    fresh = engine.new_instance(
        spec_of(version), str(requester_id), str(requested_for_id) if requested_for_id else None
    )
    names = engine.steps_to_resolve(fresh)
    manager_of = manager_subject(requester_id, requested_for_id)
    return Resolution(*await resolve_with_delegates(session, version.tenant_id, version.steps, names, manager_of))


async def plan_start(
    session: AsyncSession,
    *,
    definition: ApprovalDefinition,
    version: ApprovalDefinitionVersion,
    record_type: str,
    record_id: uuid.UUID,
    requester: PrincipalUser,
    requested_for_id: uuid.UUID | None,
    variables: dict[str, Any] | None = None,
    title: str | None = None,
    resolution: Resolution | None = None,
) -> PlannedStart | None:
    """Resolve (unless given `resolution`) and apply Start for a requester (and beneficiary) the caller knows are
    users of the tenant.

    Raises as `start_workflow_instance` does (archived definition, engine refusals); None: start by effects.
    """
    refuse_archived(definition)
    requested_for_id = None if requested_for_id == requester.id else requested_for_id
    spec = spec_of(version)
    fresh = engine.new_instance(spec, str(requester.id), str(requested_for_id) if requested_for_id else None)
    if resolution is None:
        resolution = await resolve_start(
            session, version=version, requester_id=requester.id, requested_for_id=requested_for_id
        )
    approvers, delegates = resolution.approvers, resolution.delegates
    with engine_refusals():
        transition = engine.apply(spec, fresh, Start(now=datetime.now(UTC), approvers=approvers))
    if not all(isinstance(e, NotifyApprovers | Timer) for e in transition.effects):
        return None
    state = transition.state
    instance = ApprovalInstance(
        id=uuid.uuid4(),
        tenant_id=definition.tenant_id,
        definition_id=definition.id,
        definition_version=version.version,
        record_type=record_type,
        record_id=record_id,
        title=title,
        requester_id=requester.id,
        requested_for_id=requested_for_id,
        variables=variables or {},
        state=engine.to_dict(state),
        status=state.status,
        current_step=state.current_step,
        finished_at=state.finished_at,
    )
    started: dict[str, Any] = {"definition_version": version.version, "requester_id": str(requester.id)}
    if requested_for_id is not None:
        started["requested_for_id"] = str(requested_for_id)
    plan = PlannedStart(instance, [("started", started, requester.id)], sorted(who_may_decide(state)))
    for effect in transition.effects:
        if isinstance(effect, NotifyApprovers):
            recipients = effect.user_ids | {delegates[u] for u in effect.user_ids if u in delegates}
            notice = Notice("approval_requested", frozenset(recipients), step_name=effect.step_name)
            payload = notice_payload(instance, notice, requester)
            plan.events.append((f"notice.{notice.kind}", timeline_view(payload), None))
            if notice.recipients:
                plan.jobs.append(Job(NOTIFY_JOB, payload))
        elif isinstance(effect, Timer):
            kind = TIMER_JOBS[type(effect)]
            job = {"instance_id": str(instance.id), "step_name": effect.step_name}
            plan.jobs.append(Job(kind, job, effect.due_seconds))
            plan.events.append((f"{kind.split('.')[1]}_scheduled", {**job, "seconds": effect.due_seconds}, None))
    return plan


_INSTANCE = """approval_instance AS (
    INSERT INTO approval_instances (id, tenant_id, created_at, updated_at, definition_id, definition_version,
        record_type, record_id, title, requester_id, requested_for_id, status, current_step, variables, state,
        finished_at)
    SELECT i.id, i.tenant_id, clock.at, clock.at, i.definition_id, i.definition_version, i.record_type, i.record_id,
        i.title, i.requester_id, i.requested_for_id, i.status, i.current_step, i.variables, i.state, i.finished_at
    FROM clock, jsonb_populate_record(NULL::approval_instances, CAST(:ai AS jsonb)) AS i
), approval_event AS (
    INSERT INTO approval_events (id, tenant_id, instance_id, kind, actor_id, payload, created_at)
    SELECT e.id, e.tenant_id, e.instance_id, e.kind, e.actor_id, e.payload,
        clock.at + e.ordinality * interval '1 microsecond'
    FROM clock, jsonb_populate_recordset(NULL::approval_events, CAST(:ae AS jsonb)) WITH ORDINALITY AS e
), approval_assignment AS (
    INSERT INTO approval_assignments (instance_id, step_name, user_id, tenant_id)
    SELECT a.instance_id, a.step_name, a.user_id, a.tenant_id
    FROM jsonb_populate_recordset(NULL::approval_assignments, CAST(:aa AS jsonb)) AS a
)"""


START_CTES = _INSTANCE
"""The CTEs (after `CLOCK`) that insert a planned instance, its events and assignments (binds: `start_rows`).

Each row goes as one JSON bind, typed by its table (`jsonb_populate_record`): a handful of binds where a column
each took ~30 (psycopg re-parses a statement of more than 50 binds on every execution, and adapts each bind)."""

_WRITE_START = text(f"WITH {CLOCK}, {START_CTES} SELECT at FROM clock")
"""Built once: a new `text()` per start would parse its binds and key the compiled cache every time."""


def _plain(value: Any) -> str:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")


def row_json(value: Any) -> str:
    """Rows (a dict or a list of dicts) as a JSON bind for `jsonb_populate_record(set)`: ids and times as text."""
    return json.dumps(value, default=_plain)


def start_rows(plan: PlannedStart) -> dict[str, Any]:
    """The binds of `START_CTES` for a planned instance, its events and assignments."""
    i = plan.instance
    instance = {
        "id": i.id,
        "tenant_id": i.tenant_id,
        "definition_id": i.definition_id,
        "definition_version": i.definition_version,
        "record_type": i.record_type,
        "record_id": i.record_id,
        "title": i.title,
        "requester_id": i.requester_id,
        "requested_for_id": i.requested_for_id,
        "status": i.status,
        "current_step": i.current_step,
        "variables": i.variables,
        "state": i.state,
        "finished_at": i.finished_at,
    }
    owner = {"tenant_id": i.tenant_id, "instance_id": i.id}
    events = [
        {"id": uuid.uuid4(), **owner, "kind": kind, "actor_id": actor, "payload": payload}
        for kind, payload, actor in plan.events
    ]
    assignments = [{**owner, "step_name": step, "user_id": user} for step, user in plan.assignments]
    return {"ai": row_json(instance), "ae": row_json(events), "aa": row_json(assignments)}


def attach(session: AsyncSession, plan: PlannedStart, at: datetime) -> ApprovalInstance:
    """Put the written instance in the session as if loaded (no flush, no query)."""
    plan.instance.created_at = plan.instance.updated_at = at
    make_transient_to_detached(plan.instance)
    session.add(plan.instance)
    return plan.instance


async def queue_jobs(session: AsyncSession, plan: PlannedStart) -> None:
    for job in plan.jobs:
        await enqueue(
            session,
            kind=job.kind,
            payload=job.payload,
            tenant_id=plan.instance.tenant_id,
            delay_seconds=job.delay_seconds,
        )


async def write_start(session: AsyncSession, plan: PlannedStart) -> ApprovalInstance:
    """Write a planned start: one INSERT statement for its rows, then its jobs."""
    at = (await session.execute(_WRITE_START, start_rows(plan))).scalar_one()
    instance = attach(session, plan, at)
    await queue_jobs(session, plan)
    await run_rung_hooks(session, rung_moved(instance, None, at))
    return instance
