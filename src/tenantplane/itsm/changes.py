"""Change requests: standard (pre-approved path), normal and emergency changes (both approval required).

Statuses pending_approval → scheduled → implementing → completed | failed, or rejected | cancelled.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.identity.auth import Principal
from tenantplane.identity.permissions import Permission
from tenantplane.identity.repository import get_tenant
from tenantplane.itsm import approval, lifecycle, records, references, service_levels
from tenantplane.itsm.models import ChangeRequest
from tenantplane.itsm.schemas import ChangeIn
from tenantplane.kit.errors import Forbidden, NotFound, ValidationFailed
from tenantplane.kit.pagination import paginate
from tenantplane.sla.policies import policy_for_change_type

RECORD_TYPE = lifecycle.CHANGE


def changes_of(tenant_id: uuid.UUID) -> Select[tuple[ChangeRequest]]:
    return select(ChangeRequest).where(ChangeRequest.tenant_id == tenant_id)


async def get_change(
    session: AsyncSession, tenant_id: uuid.UUID, change_id: uuid.UUID, *, lock: bool = False
) -> ChangeRequest:
    stmt = changes_of(tenant_id).where(ChangeRequest.id == change_id)
    change = await session.scalar(stmt.with_for_update() if lock else stmt)
    if change is None:
        raise NotFound(f"No change {change_id} in this tenant.")
    return change


async def list_changes(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    status: str | None,
    type_: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[ChangeRequest], str | None]:
    stmt = changes_of(tenant_id)
    if status:
        stmt = stmt.where(ChangeRequest.status == status)
    if type_:
        stmt = stmt.where(ChangeRequest.type == type_)
    return await paginate(
        session, stmt, created_col=ChangeRequest.created_at, id_col=ChangeRequest.id, cursor=cursor, limit=limit
    )


DEFAULT_HINT = "a tenant admin can set a default per change type (change_definitions in /api/tenant)"


async def _definition_for(session: AsyncSession, tenant_id: uuid.UUID, data: ChangeIn) -> tuple[uuid.UUID | None, bool]:
    """The approval definition the change runs: its own, else the tenant's default for its type; and whether defaulted.

    Standard changes are pre-approved: they take only the one they name, never a default.
    """
    if data.workflow_definition_id is not None or data.type == "standard":
        return data.workflow_definition_id, False
    tenant = await get_tenant(session, tenant_id)
    default = tenant.change_definitions.get(data.type)
    return (uuid.UUID(default), True) if default else (None, False)


async def _check(session: AsyncSession, tenant_id: uuid.UUID, data: ChangeIn) -> tuple[uuid.UUID | None, bool]:
    """The definition to start (see `_definition_for`), or a 422 naming every field at fault."""
    errors = []
    definition_id, defaulted = await _definition_for(session, tenant_id, data)
    if definition_id is None and data.type != "standard":
        # Only a standard change is pre-approved; an emergency change is expedited, never unapproved.
        message = (
            f"a {data.type} change needs an approval definition (only standard changes skip approval); "
            f"name one here, or {DEFAULT_HINT}"
        )
        errors.append({"field": "workflow_definition_id", "message": message})
    if definition_id is not None:
        problem = await references.approval_definition_problem(session, tenant_id, definition_id)
        if problem and defaulted:
            problem = (
                f"the tenant's default for {data.type} changes (change_definitions.{data.type}) cannot be used: "
                f"{problem}; name a definition here, or set another default"
            )
        if problem:
            errors.append({"field": "workflow_definition_id", "message": problem})
    if data.planned_start and data.planned_end and data.planned_end <= data.planned_start:
        errors.append({"field": "planned_end", "message": "must be after planned_start"})
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)
    return definition_id, defaulted


async def create_change(session: AsyncSession, *, actor: Principal, data: ChangeIn) -> ChangeRequest:
    definition_id, defaulted = await _check(session, actor.tenant, data)
    change = ChangeRequest(
        tenant_id=actor.tenant,
        number=await records.next_number(session, actor.tenant, "CHG"),
        title=data.title,
        description=data.description,
        type=data.type,
        risk=data.risk,
        impact=data.impact,
        planned_start=data.planned_start,
        planned_end=data.planned_end,
        workflow_definition_id=definition_id,
        requester_id=actor.id,
        status="pending_approval",
        sla_policy_id=await policy_for_change_type(session, actor.tenant, data.type),
    )
    session.add(change)
    await session.flush()
    await service_levels.start_at_submit(session, change, change.created_at)
    await records.add_event(
        session,
        tenant_id=actor.tenant,
        record_type=RECORD_TYPE,
        record_id=change.id,
        kind="submitted",
        actor_id=actor.id,
        message=f"{change.number} raised ({change.type})"
        + (", approved along the tenant's default definition for its type" if defaulted else ""),
    )
    await record_event(
        session,
        actor=actor,
        action="change_request.created",
        object_type="change_request",
        object_id=change.id,
        summary={"number": change.number, "type": change.type, "definition_from_tenant_default": defaulted},
    )
    await approval.after_change_submit(session, change=change, actor=actor)
    return change


async def act(session: AsyncSession, *, actor: Principal, change: ChangeRequest, action: str, note: str) -> None:
    """start → implementing, complete → completed, fail → failed, cancel → cancelled (requester, fulfiller, admin)."""
    if actor.id != change.requester_id and not actor.can(Permission.REQUESTS_FULFILL):
        raise Forbidden("Only the change's requester, a fulfiller or an admin can move it.")
    target = {"start": "implementing", "complete": "completed", "fail": "failed", "cancel": "cancelled"}[action]
    if target == "cancelled":
        await approval.before_cancel(session, actor=actor, record=change)
    else:
        await approval.lock_record(session, change)
    if note:
        change.outcome_note = note
    await lifecycle.move_change(session, change, target, actor_id=actor.id, message=note)
    await record_event(
        session,
        actor=actor,
        action=f"change_request.{target}",
        object_type="change_request",
        object_id=change.id,
        summary={"number": change.number},
    )
