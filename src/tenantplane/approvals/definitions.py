"""Approval definitions: validate, resolve references, version on every change, archive; and the dry run.

A definition's steps live in immutable versions; instances pin the version they started with.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals import engine
from tenantplane.approvals import repository as repo
from tenantplane.approvals.approvers import manager_subject, resolve_approvers, users_by_id
from tenantplane.approvals.engine import GROUP_TARGET, DefinitionSpec, StepSpec
from tenantplane.approvals.errors import engine_refusals
from tenantplane.approvals.escalation_targets import stored_escalate_to
from tenantplane.approvals.models import ApprovalDefinition, ApprovalDefinitionVersion
from tenantplane.approvals.schemas import (
    ApproverRead,
    DefinitionWrite,
    PreviewOrderRead,
    PreviewRead,
    PreviewStepRead,
    StepWrite,
)
from tenantplane.audit.service import record_event
from tenantplane.identity.auth import Principal
from tenantplane.identity.models import Group, User
from tenantplane.identity.repository import groups_of, users_of
from tenantplane.kit.errors import Conflict, ValidationFailed
from tenantplane.kit.usage import archivable

SINGLE_APPROVER_TYPES = ("user", "manager")


def spec_of(version: ApprovalDefinitionVersion) -> DefinitionSpec:
    """The engine's view of a stored version."""
    return DefinitionSpec(
        steps=tuple(_step_spec(step) for step in version.steps), allow_self_approval=version.allow_self_approval
    )


def _step_spec(step: Mapping[str, Any]) -> StepSpec:
    return StepSpec(
        name=step["name"],
        order=step["order"],
        approver_type=step["approver_type"],
        approver_value=step.get("approver_value"),
        required=step["required"],
        min_approvals=step["min_approvals"],
        timeout_seconds=step.get("timeout"),
        on_timeout=step.get("on_timeout"),
        remind_after_seconds=step.get("remind_after"),
        escalate_after_seconds=step.get("escalate_after"),
        escalate_to=step.get("escalate_to"),
        escalation_replaces=bool(step.get("escalation_replaces", False)),
    )


def _check_step_shape(index: int, step: StepWrite) -> None:
    """Rules of the API's step shape that the engine does not know (it never sees emails or names)."""
    path = f"steps.{index}"
    if step.approver_type in ("any", "manager") and step.approver_value is not None:
        raise ValidationFailed.field(f"{path}.approver_value", f"must be absent for approver_type {step.approver_type}")
    if step.approver_type in SINGLE_APPROVER_TYPES and step.min_approvals > 1:
        raise ValidationFailed.field(
            f"{path}.min_approvals", f"a {step.approver_type} step has one approver, so min_approvals must be 1"
        )
    if step.on_timeout is not None and step.timeout is None:
        raise ValidationFailed.field(f"{path}.on_timeout", "needs a timeout (seconds)")


async def _resolve_reference(session: AsyncSession, tenant_id: uuid.UUID, index: int, step: StepWrite) -> str | None:
    """The stored approver_value: a user or group id (looked up by id, email or name), or the role name."""
    value = step.approver_value
    if step.approver_type not in ("user", "group") or value is None:
        return value
    field = f"steps.{index}.approver_value"
    as_id = _as_uuid(value)
    if step.approver_type == "user":
        match = User.id == as_id if as_id else User.email == value.lower()
        found = await session.scalar(users_of(tenant_id).with_only_columns(User.id).where(match))
        if found is None:
            raise ValidationFailed.field(field, f"no user {value!r} in this tenant")
        return str(found)
    group_match = Group.id == as_id if as_id else Group.name == value
    group_id = await session.scalar(groups_of(tenant_id).with_only_columns(Group.id).where(group_match))
    if group_id is None:
        raise ValidationFailed.field(field, f"no group {value!r} in this tenant")
    return str(group_id)


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def validated_steps(session: AsyncSession, tenant_id: uuid.UUID, data: DefinitionWrite) -> list[dict[str, Any]]:
    """The steps as stored in a version, or a 422 naming the first offending field."""
    for index, step in enumerate(data.steps):
        _check_step_shape(index, step)
    stored = [step.model_dump(mode="json") for step in data.steps]
    with engine_refusals():  # the engine's own rules: duplicate names, skipping a required step, …
        DefinitionSpec(steps=tuple(_step_spec(item) for item in stored), allow_self_approval=data.allow_self_approval)
    for index, step in enumerate(data.steps):
        stored[index]["approver_value"] = await _resolve_reference(session, tenant_id, index, step)
        await _store_escalation(session, tenant_id, index, stored[index])
    return stored


async def _store_escalation(session: AsyncSession, tenant_id: uuid.UUID, index: int, step: dict[str, Any]) -> None:
    """A `group:` target by id (422 when the tenant has no such group); escalation_replaces kept only when set, so
    versions saved before escalation and YAML without it compare equal."""
    if not step.get("escalation_replaces"):
        step.pop("escalation_replaces", None)
    if step.get("escalate_to") is None:
        return
    stored = await stored_escalate_to(session, tenant_id, step["escalate_to"])
    if stored is None:
        group = step["escalate_to"].removeprefix(GROUP_TARGET)
        raise ValidationFailed.field(f"steps.{index}.escalate_to", f"no group {group!r} in this tenant")
    step["escalate_to"] = stored


async def _flush_name(session: AsyncSession, name: str) -> None:
    """Flush in a savepoint so a clash of active names becomes a 409 and leaves the transaction usable."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        message = f"An active approval definition named '{name}' already exists."
        raise Conflict(message, errors=[{"field": "name", "message": message}]) from exc


async def _add_version(
    session: AsyncSession,
    definition: ApprovalDefinition,
    data: DefinitionWrite,
    steps: list[dict[str, Any]],
    actor: Principal,
) -> ApprovalDefinitionVersion:
    version = ApprovalDefinitionVersion(
        tenant_id=definition.tenant_id,
        definition_id=definition.id,
        version=definition.version,
        name=data.name,
        description=data.description,
        allow_self_approval=data.allow_self_approval,
        steps=steps,
        created_by=actor.id,
    )
    session.add(version)
    await session.flush()
    return version


def _summary(data: DefinitionWrite, version: int) -> dict[str, Any]:
    return {"name": data.name, "version": version, "steps": [s.name for s in data.steps]}


async def create_definition(
    session: AsyncSession, *, actor: Principal, data: DefinitionWrite
) -> tuple[ApprovalDefinition, ApprovalDefinitionVersion]:
    steps = await validated_steps(session, actor.tenant, data)
    definition = ApprovalDefinition(
        tenant_id=actor.tenant,
        name=data.name,
        description=data.description,
        version=1,
        allow_self_approval=data.allow_self_approval,
    )
    session.add(definition)
    await _flush_name(session, data.name)
    version = await _add_version(session, definition, data, steps, actor)
    await record_event(
        session,
        actor=actor,
        action="approval_definition.created",
        object_type="approval_definition",
        object_id=definition.id,
        summary=_summary(data, 1),
    )
    return definition, version


async def update_definition(
    session: AsyncSession, *, actor: Principal, definition_id: uuid.UUID, data: DefinitionWrite
) -> tuple[ApprovalDefinition, ApprovalDefinitionVersion]:
    """Save the body as the next version; running instances keep the version they started with."""
    definition = await repo.get_definition(session, actor.tenant, definition_id, lock=True)
    if definition.archived_at is not None:
        raise Conflict("This approval definition is archived; create a new one instead.")
    steps = await validated_steps(session, actor.tenant, data)
    definition.version += 1
    definition.name = data.name
    definition.description = data.description
    definition.allow_self_approval = data.allow_self_approval
    await _flush_name(session, data.name)
    version = await _add_version(session, definition, data, steps, actor)
    await record_event(
        session,
        actor=actor,
        action="approval_definition.updated",
        object_type="approval_definition",
        object_id=definition.id,
        summary=_summary(data, definition.version),
    )
    return definition, version


async def archive_definition(
    session: AsyncSession, *, actor: Principal, definition_id: uuid.UUID, force: bool = False
) -> None:
    """Archive: no new instances start from it; it stays readable and running instances carry on.

    While active catalog items or the tenant's change defaults use it, a 409 lists them; `force` archives anyway
    and the audit event lists what it left pointing at an archived definition.
    """
    definition = await repo.get_definition(session, actor.tenant, definition_id, lock=True)
    if definition.archived_at is not None:
        raise Conflict("This approval definition is already archived.")
    what = f"The approval definition '{definition.name}'"
    used_by = await archivable(session, "approval_definition", actor.tenant, str(definition.id), what=what, force=force)
    definition.archived_at = datetime.now(UTC)
    await session.flush()
    summary: dict[str, Any] = {"name": definition.name, "version": definition.version}
    if used_by:
        summary.update(forced=True, used_by=[use.as_dict() for use in used_by])
    await record_event(
        session,
        actor=actor,
        action="approval_definition.archived",
        object_type="approval_definition",
        object_id=definition.id,
        summary=summary,
    )


async def approver_labels(
    session: AsyncSession, tenant_id: uuid.UUID, versions: Sequence[ApprovalDefinitionVersion]
) -> dict[str, str]:
    """Display labels of the users and groups the steps name (id → email / group name), in two queries."""
    user_ids = {s["approver_value"] for v in versions for s in v.steps if s["approver_type"] == "user"}
    group_ids = {uuid.UUID(s["approver_value"]) for v in versions for s in v.steps if s["approver_type"] == "group"}
    labels = {key: user.email for key, user in (await users_by_id(session, tenant_id, user_ids)).items()}
    if group_ids:
        rows = await session.execute(
            groups_of(tenant_id).with_only_columns(Group.id, Group.name).where(Group.id.in_(group_ids))
        )
        labels.update({str(group_id): name for group_id, name in rows.tuples()})
    return labels


async def preview_definition(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    version: ApprovalDefinitionVersion,
    requester_id: uuid.UUID,
    requested_for_id: uuid.UUID | None = None,
) -> PreviewRead:
    """Who would have to approve a request by this requester (for `requested_for_id`, when that is someone
    else), in which order, if it were submitted now."""
    for name, user_id in (("requester_id", requester_id), ("requested_for_id", requested_for_id)):
        if user_id is not None and await session.scalar(users_of(tenant_id).where(User.id == user_id)) is None:
            raise ValidationFailed.field(name, f"no user {user_id} in this tenant")
    names = [step["name"] for step in version.steps]
    manager_of = manager_subject(requester_id, requested_for_id)
    resolved = await resolve_approvers(session, tenant_id, version.steps, names, manager_of)
    beneficiary = str(requested_for_id) if requested_for_id else None
    with engine_refusals():
        orders = engine.preview(spec_of(version), resolved, str(requester_id), beneficiary)
    people = await users_by_id(session, tenant_id, {u for p in orders for s in p.steps for u in s.approver_ids})
    stored = {step["name"]: step for step in version.steps}
    return PreviewRead(
        definition_id=version.definition_id,
        definition_version=version.version,
        requester_id=requester_id,
        requested_for_id=requested_for_id if requested_for_id != requester_id else None,
        orders=[
            PreviewOrderRead(
                order=order.order,
                steps=[
                    PreviewStepRead(
                        name=step.name,
                        required=step.required,
                        min_approvals=step.min_approvals,
                        approver_type=stored[step.name]["approver_type"],
                        approver_value=stored[step.name].get("approver_value"),
                        approvers=[ApproverRead.model_validate(people[u]) for u in step.approver_ids if u in people],
                        notes=list(step.notes),
                    )
                    for step in order.steps
                ],
            )
            for order in orders
        ],
    )
