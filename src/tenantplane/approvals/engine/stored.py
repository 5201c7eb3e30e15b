"""The stored form of an approval instance (its JSONB column) and the API's step_results.

to_dict and from_dict are inverses; STATE_SCHEMA names the layout so a stored state is never misread."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tenantplane.approvals.engine.state import Decision, InstanceState, StepState

STATE_SCHEMA = 1


def to_dict(state: InstanceState) -> dict[str, Any]:
    """JSON-safe form of an instance for a JSONB column: sets as sorted lists, datetimes as ISO strings."""
    return {
        "schema": STATE_SCHEMA,
        "requester_id": state.requester_id,
        "requested_for_id": state.requested_for_id,
        "status": state.status,
        "current_step": state.current_step,
        "finished_at": _iso(state.finished_at),
        "steps": [_step_to_dict(step) for step in state.steps],
    }


def from_dict(data: Mapping[str, Any]) -> InstanceState:
    """Inverse of to_dict."""
    if data.get("schema") != STATE_SCHEMA:
        raise ValueError(f"unsupported approval state schema {data.get('schema')!r}")
    return InstanceState(
        requester_id=data["requester_id"],
        # Absent from states stored before requests could be for someone else: nobody besides the requester.
        requested_for_id=data.get("requested_for_id"),
        status=data["status"],
        current_step=data["current_step"],
        finished_at=_parse(data["finished_at"]),
        steps=tuple(_step_from_dict(step) for step in data["steps"]),
    )


def step_results(state: InstanceState) -> list[dict[str, Any]]:
    """The API's step_results: one entry per step, in definition order, with every decision."""
    return [
        {
            "order": step.order,
            "name": step.name,
            "status": step.status,
            "decisions": [_decision_to_dict(d) for d in step.decisions],
            "reason": step.reason,
            **({"rerouted": step.rerouted} if step.rerouted else {}),
            **({"escalation": step.escalation} if step.escalation else {}),
        }
        for step in state.steps
    ]


def _step_to_dict(step: StepState) -> dict[str, Any]:
    eligible = None if step.eligible_ids is None else sorted(step.eligible_ids)
    return {
        "name": step.name,
        "order": step.order,
        "status": step.status,
        "eligible_ids": eligible,
        "decisions": [_decision_to_dict(d) for d in step.decisions],
        "reason": step.reason,
        "flagged": step.flagged,
        "escalated": step.escalated,
        "opened_at": _iso(step.opened_at),
        **({"rerouted": step.rerouted} if step.rerouted else {}),
        **({"escalation": step.escalation} if step.escalation else {}),
        **({"reminded_at": _iso(step.reminded_at)} if step.reminded_at else {}),
    }


def _step_from_dict(data: Mapping[str, Any]) -> StepState:
    eligible = data["eligible_ids"]
    return StepState(
        name=data["name"],
        order=data["order"],
        status=data["status"],
        eligible_ids=None if eligible is None else frozenset(eligible),
        decisions=tuple(_decision_from_dict(d) for d in data["decisions"]),
        reason=data["reason"],
        flagged=data["flagged"],
        escalated=data["escalated"],
        opened_at=_parse(data["opened_at"]),
        rerouted=data.get("rerouted"),
        escalation=data.get("escalation"),  # absent from states stored before escalation reassigned
        reminded_at=_parse(data.get("reminded_at")),  # absent before reminders were once per due time
    )


def _decision_to_dict(decision: Decision) -> dict[str, Any]:
    return {
        "user_id": decision.user_id,
        "on_behalf_of": decision.on_behalf_of,
        "outcome": decision.outcome,
        "comment": decision.comment,
        "at": decision.at.isoformat(),
    }


def _decision_from_dict(data: Mapping[str, Any]) -> Decision:
    return Decision(
        user_id=data["user_id"],
        on_behalf_of=data["on_behalf_of"],
        outcome=data["outcome"],
        comment=data["comment"],
        at=datetime.fromisoformat(data["at"]),
    )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _parse(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
