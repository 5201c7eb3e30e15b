"""What awaits a person's decision: automation gates they may decide and ITSM approval steps assigned to them.

Both lists are tenant-scoped; the inbox merges them newest first, each item with its kind and a link to decide.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.approvers import delegators_seen_by
from tenantplane.approvals.hooks import facts_of
from tenantplane.approvals.models import ApprovalAssignment, ApprovalInstance
from tenantplane.approvals.schemas import FulfillmentRead
from tenantplane.automation.runs.gate_opening import chain_of
from tenantplane.automation.runs.models import ApprovalGate
from tenantplane.automation.runs.repository import gates_of
from tenantplane.automation.runs.schemas import GateRead, GateWhatRead, InboxItem, InstanceWhatRead
from tenantplane.executions.causes import chain_ids
from tenantplane.identity.auth import Principal
from tenantplane.identity.permissions import Permission
from tenantplane.kit.pagination import encode_cursor, paginate


async def list_gates(
    session: AsyncSession,
    actor: Principal,
    *,
    status: str | None,
    mine: bool,
    cursor: str | None,
    limit: int,
    voters: list[str] | None = None,
) -> tuple[Sequence[ApprovalGate], str | None]:
    """Gates the caller may see: all with `workflows.manage`, else the ones they (or whom they stand in for)
    may decide, or caused. `mine`: pending, decidable by them, not caused by them (four-eyes), not yet decided.
    `voters`: the caller and whom they stand in for, when the caller has read them already.
    """
    stmt = gates_of(actor.tenant)
    me = str(actor.id)
    deciders = voters if voters is not None else await _voters(session, actor)
    # NULL-safe: a run nobody started by hand (a trigger's) has no starter, and NOT NULL would hide its gates.
    caused = ApprovalGate.caused_by.contains([{"user_id": me}]) | ApprovalGate.started_by.is_not_distinct_from(actor.id)
    if status:
        stmt = stmt.where(ApprovalGate.status == status)
    if mine:
        stmt = stmt.where(
            ApprovalGate.status == "pending",
            ApprovalGate.eligible.has_any(array(deciders)),
            ~caused | ApprovalGate.allow_self_approval,
            ~ApprovalGate.decisions.contains([{"user_id": me}]),
        )
    elif not actor.can(Permission.WORKFLOWS_MANAGE):
        stmt = stmt.where(ApprovalGate.eligible.has_any(array(deciders)) | caused)
    return await paginate(
        session, stmt, created_col=ApprovalGate.created_at, id_col=ApprovalGate.id, cursor=cursor, limit=limit
    )


async def _voters(session: AsyncSession, actor: Principal) -> list[str]:
    """The caller and the users they currently stand in for as a delegate."""
    return [str(actor.id), *sorted(await delegators_seen_by(session, actor))]


async def may_see(session: AsyncSession, actor: Principal, gate: ApprovalGate) -> bool:
    if actor.can(Permission.WORKFLOWS_MANAGE) or str(actor.id) in chain_ids(chain_of(gate)):
        return True
    return bool(set(gate.eligible) & set(await _voters(session, actor)))


async def inbox(
    session: AsyncSession, actor: Principal, *, cursor: str | None = None, limit: int
) -> tuple[list[InboxItem], str | None]:
    """One page of the merged inbox, newest first, and the cursor of the next page.

    Both sources page on the same key, (created_at, id) descending: each gives at most `limit` items after the
    cursor, the merge keeps the newest `limit`, and the next cursor is the last one kept, so nothing is skipped
    or shown twice across pages.
    """
    voters = await _voters(session, actor)  # read once for both sources
    gates, more_gates = await list_gates(
        session, actor, status="pending", mine=True, cursor=cursor, limit=limit, voters=voters
    )
    items = [_gate_item(GateRead.model_validate(g)) for g in gates]
    assigned = select(ApprovalAssignment.instance_id).where(
        ApprovalAssignment.tenant_id == actor.tenant,
        ApprovalAssignment.user_id.in_([uuid.UUID(u) for u in voters]),
    )
    stmt = select(ApprovalInstance).where(
        ApprovalInstance.tenant_id == actor.tenant,
        ApprovalInstance.status == "pending",
        ApprovalInstance.id.in_(assigned),
    )
    instances, more_instances = await paginate(
        session, stmt, created_col=ApprovalInstance.created_at, id_col=ApprovalInstance.id, cursor=cursor, limit=limit
    )
    fulfillments = await facts_of(session, actor.tenant, instances)
    items += [_instance_item(i, fulfillments.get(i.record_id)) for i in instances]
    items.sort(key=lambda item: (item.created_at, item.id), reverse=True)
    page = items[:limit]
    more = len(items) > limit or more_gates is not None or more_instances is not None
    return page, encode_cursor(page[-1].created_at, page[-1].id) if more and page else None


def _gate_item(gate: GateRead) -> InboxItem:
    return InboxItem(
        kind="automation",
        id=gate.id,
        title=gate.message,
        what=GateWhatRead(execution_id=gate.execution_id, step_id=gate.step_id, **dict(gate.subject)),
        link=f"/approvals/gates/{gate.id}",
        created_at=gate.created_at,
    )


def _instance_item(instance: ApprovalInstance, fulfillment: FulfillmentRead | None) -> InboxItem:
    what = InstanceWhatRead(
        record_type=instance.record_type,
        record_id=instance.record_id,
        current_step=instance.current_step,
        variables=instance.variables,
        fulfillment=fulfillment,  # what approving a service request will run
    )
    return InboxItem(
        kind="itsm",
        id=instance.id,
        title=instance.title or f"{instance.record_type} {instance.record_id}",
        what=what,
        link=f"/approvals/instances/{instance.id}",
        created_at=instance.created_at,
    )
