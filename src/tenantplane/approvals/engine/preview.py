"""The "who approves this?" dry run: the orders and approvers a request would meet if the directory stays put.

Applies the same four-eyes and quorum rules as a running instance, without starting one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tenantplane.approvals.engine.refusals import ApproversNotResolved
from tenantplane.approvals.engine.rules import quorum_shortfall
from tenantplane.approvals.engine.state import DefinitionSpec, InstanceState, StepSpec, StepState, new_instance


@dataclass(frozen=True)
class PreviewStep:
    name: str
    required: bool
    min_approvals: int
    approver_ids: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class PreviewOrder:
    order: int
    steps: tuple[PreviewStep, ...]


def preview(
    definition: DefinitionSpec,
    resolved: Mapping[str, frozenset[str]],
    requester_id: str,
    requested_for_id: str | None = None,
) -> tuple[PreviewOrder, ...]:
    """Who would have to approve this request, in which order, if the directory stays as it is now."""
    who = new_instance(definition, requester_id, requested_for_id)
    orders: list[PreviewOrder] = []
    for order in sorted({s.order for s in definition.steps}):
        specs = [s for s in definition.steps if s.order == order]
        orders.append(PreviewOrder(order, tuple(_preview_step(definition, s, resolved, who) for s in specs)))
    return tuple(orders)


def _preview_step(
    definition: DefinitionSpec, spec: StepSpec, resolved: Mapping[str, frozenset[str]], who: InstanceState
) -> PreviewStep:
    if spec.name not in resolved:
        raise ApproversNotResolved(f"no approver set was resolved for step {spec.name!r}")
    approvers = frozenset(resolved[spec.name])
    notes: list[str] = []
    if not definition.allow_self_approval and who.requester_id in approvers:
        approvers -= {who.requester_id}
        notes.append("the requester is left out by the four-eyes rule")
    if not definition.allow_self_approval and who.requested_for_id in approvers:
        approvers -= {who.requested_for_id}
        notes.append("the person the request is for is left out by the four-eyes rule")
    shortfall = quorum_shortfall(spec, StepState(name=spec.name, order=spec.order, eligible_ids=approvers))
    if shortfall is not None and spec.required:
        notes.append(f"{shortfall}: the request would wait here and be flagged to tenant admins")
    elif shortfall is not None:
        notes.append(f"{shortfall}: this optional step would be skipped")
    if spec.timeout_seconds is not None:
        notes.append(f"after {spec.timeout_seconds} s without a decision: {spec.on_timeout or 'escalate'}")
    if spec.escalate_after_seconds is not None:
        how = "handed over" if spec.escalation_replaces else "escalated"
        notes.append(f"after {spec.escalate_after_seconds} s without a decision: {how} to {spec.escalate_to}")
    return PreviewStep(spec.name, spec.required, spec.min_approvals, tuple(sorted(approvers)), tuple(notes))
