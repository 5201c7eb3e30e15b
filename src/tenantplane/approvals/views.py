"""Read shapes of definitions and instances, and who may read an instance.

An instance is read by tenant staff who see all requests, its requester, and anyone who may or did decide it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals import engine
from tenantplane.approvals import repository as repo
from tenantplane.approvals.approvers import delegators_seen_by
from tenantplane.approvals.definitions import approver_labels, spec_of
from tenantplane.approvals.effects import link_to
from tenantplane.approvals.engine import InstanceState
from tenantplane.approvals.hooks import facts_of
from tenantplane.approvals.models import ApprovalDefinition, ApprovalDefinitionVersion, ApprovalInstance
from tenantplane.approvals.schemas import DefinitionRead, FulfillmentRead, InstanceRead, StepRead, StepResultRead
from tenantplane.identity.auth import Principal
from tenantplane.identity.permissions import Permission
from tenantplane.kit.errors import Forbidden

READ_ALL = (Permission.REQUESTS_READ_ALL, Permission.APPROVAL_DEFINITIONS_MANAGE)


def reads_every_instance(principal: Principal) -> bool:
    return any(principal.can(permission) for permission in READ_ALL)


def definition_read(
    definition: ApprovalDefinition, version: ApprovalDefinitionVersion, labels: dict[str, str]
) -> DefinitionRead:
    steps = [
        StepRead(
            **step,
            approver_label=labels.get(step["approver_value"] or "", step["approver_value"]),
        )
        for step in version.steps
    ]
    return DefinitionRead(
        id=definition.id,
        name=version.name,
        description=version.description,
        version=version.version,
        status="archived" if definition.archived_at else "active",
        allow_self_approval=version.allow_self_approval,
        steps=steps,
        created_at=definition.created_at,
        updated_at=definition.updated_at,
        archived_at=definition.archived_at,
    )


async def definition_reads(
    session: AsyncSession, tenant_id: uuid.UUID, definitions: Sequence[ApprovalDefinition]
) -> list[DefinitionRead]:
    """Definitions with their current versions' steps, in three queries whatever the page size."""
    versions = await repo.versions_by_key(session, tenant_id, [(d.id, d.version) for d in definitions])
    labels = await approver_labels(session, tenant_id, list(versions.values()))
    return [definition_read(d, versions[(d.id, d.version)], labels) for d in definitions]


def _participates(state: InstanceState, user_ids: frozenset[str]) -> bool:
    if engine.four_eyes_excluded(state) & user_ids:  # the requester, and whom the request is for
        return True
    for step in state.steps:
        if user_ids & (step.eligible_ids or frozenset()):
            return True
        if any({d.user_id, d.principal_id} & user_ids for d in step.decisions):
            return True
    return False


class Viewer:
    """The caller reading instances: who they are, whom they stand in for, and whether they see everything."""

    def __init__(self, principal: Principal, delegators: frozenset[str]) -> None:
        self.principal = principal
        self.delegators = delegators
        self.user_ids = frozenset({str(principal.id), *delegators})

    @classmethod
    async def of(cls, session: AsyncSession, principal: Principal) -> Viewer:
        return cls(principal, await delegators_seen_by(session, principal))

    def check_may_read(self, instance: ApprovalInstance) -> None:
        if reads_every_instance(self.principal) or _participates(engine.from_dict(instance.state), self.user_ids):
            return
        raise Forbidden("Only the requester, its approvers and staff who read all requests may see this approval.")


def instance_read(
    instance: ApprovalInstance,
    version: ApprovalDefinitionVersion,
    viewer: Viewer,
    fulfillment: FulfillmentRead | None = None,
) -> InstanceRead:
    state = engine.from_dict(instance.state)
    can_decide = engine.decidable_steps(spec_of(version), state, str(viewer.principal.id), viewer.delegators)
    return InstanceRead(
        id=instance.id,
        definition_id=instance.definition_id,
        definition_version=instance.definition_version,
        record_type=instance.record_type,
        record_id=instance.record_id,
        title=instance.title,
        requester_id=instance.requester_id,
        requested_for_id=instance.requested_for_id,
        status=state.status,
        current_step=state.current_step,
        step_results=[StepResultRead.model_validate(result) for result in engine.step_results(state)],
        variables=instance.variables,
        fulfillment=fulfillment,
        can_decide=list(can_decide),
        link=link_to(instance),
        created_at=instance.created_at,
        updated_at=instance.updated_at,
        finished_at=instance.finished_at,
    )


async def instance_reads(
    session: AsyncSession, instances: Sequence[ApprovalInstance], viewer: Viewer
) -> list[InstanceRead]:
    keys = [(i.definition_id, i.definition_version) for i in instances]
    versions = await repo.versions_by_key(session, viewer.principal.tenant, keys)
    fulfillments = await facts_of(session, viewer.principal.tenant, instances)
    return [
        instance_read(i, versions[(i.definition_id, i.definition_version)], viewer, fulfillments.get(i.record_id))
        for i in instances
    ]
