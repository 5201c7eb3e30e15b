"""Who caused an execution: why it ran (`cause`) and the people in its chain (`caused_by`), kept on the row.

Four-eyes on an automation approval gate refuses everyone in the chain; a run an inbound webhook started has nobody.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

CauseKind = Literal["manual", "schedule", "webhook", "itsm_event", "fulfillment", "workflow_step"]
CauserRole = Literal["requester", "requested_for", "trigger_owner", "starter"]
CAUSE_KINDS: tuple[str, ...] = get_args(CauseKind)
CAUSER_ROLES: tuple[str, ...] = get_args(CauserRole)

_KIND_WORDS: dict[str, str] = {
    "manual": "started by hand",
    "schedule": "schedule",
    "webhook": "inbound webhook",
    "itsm_event": "ITSM event",
    "fulfillment": "fulfillment of an ITSM request",
    "workflow_step": "workflow step",
}
_ROLE_WORDS: dict[str, str] = {
    "requester": "requester",
    "requested_for": "requested for",
    "trigger_owner": "trigger owner",
    "starter": "starter",
}
# What the four-eyes refusal tells a person in the chain about themselves.
_ROLE_REASONS: dict[str, str] = {
    "requester": "you requested the ITSM request behind this execution",
    "requested_for": "the ITSM request behind this execution is for you",
    "trigger_owner": "you own the trigger that started this execution",
    "starter": "you started this execution",
}


@dataclass(frozen=True)
class Cause:
    """Why an execution ran and who caused it, each person once (the first role they were named in)."""

    kind: CauseKind
    chain: tuple[tuple[CauserRole, uuid.UUID], ...] = ()

    @classmethod
    def of(cls, kind: CauseKind, *people: tuple[CauserRole, uuid.UUID | str | None]) -> Cause:
        """A cause naming these people; nobody (None) is left out, and a person named twice counts once."""
        chain: list[tuple[CauserRole, uuid.UUID]] = []
        for role, user in people:
            if user is None:
                continue
            user_id = user if isinstance(user, uuid.UUID) else uuid.UUID(str(user))
            if all(user_id != known for _, known in chain):
                chain.append((role, user_id))
        return cls(kind, tuple(chain))

    def to_json(self) -> list[dict[str, str]]:
        return [{"user_id": str(user), "role": role} for role, user in self.chain]

    @classmethod
    def inherited(cls, kind: CauseKind, caused_by: Iterable[Mapping[str, Any]]) -> Cause:
        """The chain of the execution that started this one (a workflow step's runbook run inherits its run's)."""
        people = [(e["role"], e["user_id"]) for e in caused_by if e.get("role") in CAUSER_ROLES]
        return cls.of(kind, *people)


def manual(user_id: uuid.UUID) -> Cause:
    return Cause.of("manual", ("starter", user_id))


def for_request(kind: CauseKind, request: Mapping[str, Any]) -> Cause:
    """The people behind an ITSM record (a request's requester and whom it is for; a change's requester)."""
    return Cause.of(
        kind,
        ("requester", request.get("requester_id")),
        ("requested_for", request.get("requested_for_id") or request.get("requested_for")),
    )


def chain_ids(caused_by: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    return frozenset(str(entry["user_id"]) for entry in caused_by)


def with_starter(caused_by: Iterable[Mapping[str, Any]], started_by: uuid.UUID | None) -> list[dict[str, str]]:
    """A stored chain plus whoever started the run by hand, should the chain not name them (older rows)."""
    chain = [{"user_id": str(e["user_id"]), "role": str(e["role"])} for e in caused_by]
    if started_by is not None and str(started_by) not in chain_ids(chain):
        chain.append({"user_id": str(started_by), "role": "starter"})
    return chain


def describe(kind: str | None, caused_by: Iterable[Mapping[str, Any]]) -> str:
    """One line for people: "inbound webhook (nobody)", "ITSM event (requester, requested for)"."""
    roles = [_ROLE_WORDS.get(str(entry.get("role")), str(entry.get("role"))) for entry in caused_by]
    what = _KIND_WORDS.get(kind or "", "unknown (recorded before causes were kept)")
    return f"{what} ({', '.join(roles) if roles else 'nobody'})"


def refusal_reason(caused_by: Iterable[Mapping[str, Any]], user_id: str) -> str | None:
    """Why four-eyes refuses this user ("you started this execution"), or None if they are not in the chain."""
    for entry in caused_by:
        if str(entry["user_id"]) == user_id:
            return _ROLE_REASONS.get(str(entry.get("role")), "you caused this execution")
    return None


# The same, said of someone else (why a gate nobody else could decide fails).
_ROLE_FACTS: dict[str, str] = {
    "requester": "requested the ITSM request behind it",
    "requested_for": "is whom the ITSM request behind it is for",
    "trigger_owner": "owns the trigger that started it",
    "starter": "started the execution",
}


def role_words(role: str) -> str:
    return _ROLE_WORDS.get(role, role)


def role_fact(role: str) -> str:
    return _ROLE_FACTS.get(role, "caused the execution")
