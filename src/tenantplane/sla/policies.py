"""SLA policies of a tenant: named targets in business or wall-clock time, for catalog items and change types.

A business-time target needs a calendar of the tenant; a change type belongs to at most one policy (422 otherwise).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.identity.auth import Principal
from tenantplane.kit.errors import NotFound, ValidationFailed
from tenantplane.kit.pagination import paginate
from tenantplane.sla import calendars
from tenantplane.sla.business_time import WorkingCalendar
from tenantplane.sla.models import BusinessCalendar, SlaPolicy
from tenantplane.sla.schemas import PolicyIn


def policies_of(tenant_id: uuid.UUID) -> Select[tuple[SlaPolicy]]:
    return select(SlaPolicy).where(SlaPolicy.tenant_id == tenant_id)


async def get_policy(
    session: AsyncSession, tenant_id: uuid.UUID, policy_id: uuid.UUID, *, lock: bool = False
) -> SlaPolicy:
    stmt = policies_of(tenant_id).where(SlaPolicy.id == policy_id)
    found = await session.scalar(stmt.with_for_update() if lock else stmt)
    if found is None:
        raise NotFound(f"No SLA policy {policy_id} in this tenant.")
    return found


async def policy_problem(session: AsyncSession, tenant_id: uuid.UUID, policy_id: uuid.UUID) -> str | None:
    """Why a record cannot name this policy (None when it can): for ITSM's checks of catalog items."""
    found = await session.scalar(policies_of(tenant_id).where(SlaPolicy.id == policy_id))
    return None if found is not None else "no such SLA policy in this tenant"


async def policy_for_change_type(session: AsyncSession, tenant_id: uuid.UUID, change_type: str) -> uuid.UUID | None:
    stmt = policies_of(tenant_id).with_only_columns(SlaPolicy.id).where(SlaPolicy.change_types.contains([change_type]))
    found: uuid.UUID | None = await session.scalar(stmt)
    return found


async def policy_with_calendar(
    session: AsyncSession, tenant_id: uuid.UUID, policy_id: uuid.UUID
) -> tuple[SlaPolicy, WorkingCalendar | None] | None:
    """The policy and its calendar, ready to count in (one query); None when the policy is gone."""
    stmt = (
        policies_of(tenant_id)
        .add_columns(BusinessCalendar)
        .outerjoin(
            BusinessCalendar,
            (BusinessCalendar.id == SlaPolicy.calendar_id) & (BusinessCalendar.tenant_id == tenant_id),
        )
        .where(SlaPolicy.id == policy_id)
    )
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        return None
    policy, calendar = row[0], row[1]
    return policy, calendars.working_calendar(calendar) if calendar is not None else None


async def list_policies(
    session: AsyncSession, tenant_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[Sequence[SlaPolicy], str | None]:
    return await paginate(
        session,
        policies_of(tenant_id),
        created_col=SlaPolicy.created_at,
        id_col=SlaPolicy.id,
        cursor=cursor,
        limit=limit,
    )


async def _check(session: AsyncSession, tenant_id: uuid.UUID, data: PolicyIn, but: uuid.UUID | None) -> None:
    """Every problem of a policy's references at once, each naming its field (422)."""
    # One policy per change type: concurrent saves of two policies claiming a type queue here, then see each other.
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"sla:{tenant_id}"})
    errors = []
    same_name = policies_of(tenant_id).where(SlaPolicy.name == data.name)
    if await session.scalar(same_name if but is None else same_name.where(SlaPolicy.id != but)) is not None:
        errors.append({"field": "name", "message": f"a policy named {data.name!r} exists already"})
    if data.calendar_id is not None:
        try:
            await calendars.get_calendar(session, tenant_id, data.calendar_id)
        except NotFound:
            errors.append({"field": "calendar_id", "message": "no such business calendar in this tenant"})
    elif any(t.clock == "business" for t in data.targets):
        message = "a business-time target needs a calendar (or give the target clock 'wall')"
        errors.append({"field": "calendar_id", "message": message})
    for change_type in sorted(set(data.change_types)):
        taken = await policy_for_change_type(session, tenant_id, change_type)
        if taken is not None and taken != but:
            message = f"{change_type} changes already have an SLA policy ({taken})"
            errors.append({"field": "change_types", "message": message})
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)


def _apply(policy: SlaPolicy, data: PolicyIn) -> None:
    policy.name, policy.calendar_id, policy.warn_percent = data.name, data.calendar_id, data.warn_percent
    policy.targets = [t.stored() for t in data.targets]
    policy.change_types = sorted(set(data.change_types))
    policy.pause_on_requester = data.pause_on_requester


async def create_policy(session: AsyncSession, *, actor: Principal, data: PolicyIn) -> SlaPolicy:
    await _check(session, actor.tenant, data, None)
    policy = SlaPolicy(tenant_id=actor.tenant)
    _apply(policy, data)
    session.add(policy)
    await session.flush()
    await _audit(session, actor, "sla_policy.created", policy)
    return policy


async def update_policy(session: AsyncSession, *, actor: Principal, policy: SlaPolicy, data: PolicyIn) -> SlaPolicy:
    """Change a policy; records already carrying clocks keep them, later submits and moves use the new targets."""
    await _check(session, actor.tenant, data, policy.id)
    _apply(policy, data)
    await session.flush()
    await _audit(session, actor, "sla_policy.updated", policy)
    return policy


async def delete_policy(session: AsyncSession, *, actor: Principal, policy: SlaPolicy) -> None:
    """Delete a policy: items naming it have none afterwards; clocks already started keep running."""
    await _audit(session, actor, "sla_policy.deleted", policy)
    await session.delete(policy)
    await session.flush()


async def _audit(session: AsyncSession, actor: Principal, action: str, policy: SlaPolicy) -> None:
    summary = {"name": policy.name, "targets": policy.targets, "warn_percent": policy.warn_percent}
    await record_event(
        session, actor=actor, action=action, object_type="sla_policy", object_id=policy.id, summary=summary
    )
