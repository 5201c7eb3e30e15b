"""Every problem of a workflow body at once: graph structure, step types and config keys, references.

Problems are (field path, message) pairs such as `steps[1].config.runbook_id`; approver values are normalised to ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.approvals.engine import ESCALATE_TO_HELP, GROUP_TARGET, is_escalation_target
from tenantplane.approvals.escalation_targets import stored_escalate_to
from tenantplane.automation.definitions.schemas import WorkflowWrite
from tenantplane.automation.engine.expressions import expression_error, syntax_errors
from tenantplane.automation.engine.graph import (
    OUTCOME_WORDS,
    STEP_TYPES,
    Edge,
    StepSpec,
    StepType,
    steps_behind,
    validate_graph,
)
from tenantplane.identity.models import Group, User
from tenantplane.identity.repository import groups_of, users_of
from tenantplane.notifications.repository import find_channel
from tenantplane.runbooks.models import Runbook, RunbookVersion
from tenantplane.runbooks.validation import check_parameters_schema

Problem = tuple[str, str]
CONFIG_KEYS: Mapping[str, frozenset[str]] = {
    "runbook": frozenset({"runbook_id", "version", "parameters", "timeout_seconds", "retries"}),
    "approval": frozenset(
        {
            "approvers",
            "min_approvals",
            "message",
            "timeout_seconds",
            "on_timeout",
            "remind_after_seconds",
            "escalate_after_seconds",
            "escalate_to",
            "escalation_replaces",
        }
    ),
    "condition": frozenset({"expression"}),
    "notification": frozenset({"channel", "subject", "body"}),
    "delay": frozenset({"seconds", "until"}),
}
APPROVER_TYPES = ("user", "group", "role", "any")
# A runbook step's `version`: absent = the runbook's version when the execution starts; a number = that saved
# version; LATEST = whatever is current when the step starts (never behind an approval step: approvers see the
# exact version that runs).
LATEST = "latest"
# Bounds at save, so no saved workflow can fail later: every wait is schedulable, every count fits its column.
MAX_WAIT_SECONDS = 366 * 86400
MAX_BACKOFF_SECONDS = 86400
MAX_APPROVALS = 1000


def step_specs(steps: list[dict[str, Any]]) -> list[StepSpec]:
    def on_timeout(step: dict[str, Any]) -> Any:
        return step["config"].get("on_timeout") if step["type"] == "approval" else None

    return [StepSpec(s["id"], cast(StepType, s["type"]), on_timeout(s)) for s in steps]


def edge_specs(edges: list[dict[str, Any]]) -> list[Edge]:
    return [Edge(e["from"], e["to"], e.get("condition")) for e in edges]


async def workflow_problems(session: AsyncSession, tenant_id: uuid.UUID, data: WorkflowWrite) -> list[Problem]:
    """Every problem of the body; approver values of valid approval steps are rewritten to ids in place."""
    problems = [("inputs" + field.removeprefix("parameters"), m) for field, m in check_parameters_schema(data.inputs)]
    steps = [s.model_dump() for s in data.steps]
    edges = [e.model_dump(by_alias=True) for e in data.edges]
    specs = [StepSpec(s["id"], cast(StepType, s["type"])) for s in steps]
    problems += [(p.path, p.message) for p in validate_graph(specs, edge_specs(edges))]
    gated = steps_behind(specs, edge_specs(edges), "approval")
    for i, step in enumerate(data.steps):
        problems += await _step_problems(session, tenant_id, f"steps[{i}]", step.id, step.type, step.config)
        if step.type == "runbook" and "version" in step.config:
            base = f"steps[{i}].config"
            problems += await _version_problems(session, tenant_id, base, step.config, gated=step.id in gated)
    for k, edge in enumerate(edges):
        error = _edge_expression_error(edge.get("condition"))
        if error:
            problems.append((f"edges[{k}].condition", error))
    return problems


def _edge_expression_error(condition: str | None) -> str | None:
    if condition is None or condition in OUTCOME_WORDS:
        return None
    return expression_error(condition)


async def _step_problems(
    session: AsyncSession, tenant_id: uuid.UUID, path: str, step_id: str, step_type: str, config: dict[str, Any]
) -> list[Problem]:
    problems: list[Problem] = []
    if not step_id.replace("-", "").replace("_", "").isalnum() or not step_id[0].isalpha():
        problems.append((f"{path}.id", "a step id is a slug: a letter, then letters, digits, '-' or '_'"))
    if step_type not in STEP_TYPES:
        return problems  # the graph check names the unknown type
    base = f"{path}.config"
    problems += [
        (f"{base}.{key}", f"unknown config key for a {step_type} step")
        for key in config
        if key not in CONFIG_KEYS[step_type]
    ]
    checks: dict[str, Callable[..., Any]] = {
        "runbook": _runbook_problems,
        "approval": _approval_problems,
        "notification": _notification_problems,
    }
    if step_type in checks:
        problems += await checks[step_type](session, tenant_id, base, config)
    elif step_type == "condition":
        problems += _condition_problems(base, config)
    else:
        problems += _delay_problems(base, config)
    return problems


def _positive(
    config: dict[str, Any], key: str, base: str, *, zero: bool = False, maximum: int = MAX_WAIT_SECONDS
) -> list[Problem]:
    value = config.get(key)
    if value is None:
        return []
    ok = isinstance(value, int | float) and not isinstance(value, bool) and (value >= 0 if zero else value > 0)
    if not ok:
        return [(f"{base}.{key}", "must be a number " + (">= 0" if zero else "> 0"))]
    return [] if value <= maximum else [(f"{base}.{key}", f"must be at most {maximum} (seconds)")]


async def _runbook_problems(
    session: AsyncSession, tenant_id: uuid.UUID, base: str, config: dict[str, Any]
) -> list[Problem]:
    problems: list[Problem] = []
    try:
        runbook_id = uuid.UUID(str(config.get("runbook_id")))
    except ValueError:
        problems.append((f"{base}.runbook_id", "a runbook step needs the id of a runbook"))
    else:
        stmt = select(Runbook.id).where(
            Runbook.tenant_id == tenant_id, Runbook.id == runbook_id, Runbook.archived_at.is_(None)
        )
        if await session.scalar(stmt) is None:
            problems.append((f"{base}.runbook_id", f"no runbook {runbook_id} in this tenant"))
    parameters = config.get("parameters", {})
    if not isinstance(parameters, dict):
        problems.append((f"{base}.parameters", "parameters are a JSON object"))
    else:
        problems += syntax_errors(parameters, f"{base}.parameters")
    problems += _positive(config, "timeout_seconds", base)
    retries = config.get("retries")
    if retries is not None:
        if not isinstance(retries, dict) or set(retries) - {"count", "backoff"}:
            problems.append((f"{base}.retries", "retries is {count, backoff}"))
        else:
            count = retries.get("count", 0)
            if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 20:
                problems.append((f"{base}.retries.count", "must be a whole number from 0 to 20"))
            problems += _positive(retries, "backoff", f"{base}.retries", zero=True, maximum=MAX_BACKOFF_SECONDS)
    return problems


async def _version_problems(
    session: AsyncSession, tenant_id: uuid.UUID, base: str, config: dict[str, Any], *, gated: bool
) -> list[Problem]:
    """`version` is a saved version of the step's runbook, or `latest` where no approval step comes before."""
    version, path = config["version"], f"{base}.version"
    if version == LATEST:
        if gated:
            return [
                (
                    path,
                    "'latest' is not allowed behind an approval step: the approvers must see the exact version "
                    "that runs (leave version out to pin the runbook's version when the execution starts)",
                )
            ]
        return []
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return [(path, "a runbook version is a whole number (a saved version of the runbook) or 'latest'")]
    try:
        runbook_id = uuid.UUID(str(config.get("runbook_id")))
    except ValueError:
        return []  # the runbook_id check names the problem
    stmt = select(RunbookVersion.version).where(
        RunbookVersion.tenant_id == tenant_id,
        RunbookVersion.runbook_id == runbook_id,
        RunbookVersion.version == version,
    )
    if await session.scalar(stmt) is None:
        return [(path, f"the runbook has no version {version}")]
    return []


async def _approval_problems(
    session: AsyncSession, tenant_id: uuid.UUID, base: str, config: dict[str, Any]
) -> list[Problem]:
    problems: list[Problem] = []
    approvers = config.get("approvers")
    if not isinstance(approvers, list) or not approvers:
        problems.append((f"{base}.approvers", "an approval step needs at least one approver {type, value}"))
        approvers = []
    for j, approver in enumerate(approvers):
        problems += await _approver_problems(session, tenant_id, f"{base}.approvers[{j}]", approver)
    minimum = config.get("min_approvals", 1)
    if not isinstance(minimum, int) or isinstance(minimum, bool) or not 1 <= minimum <= MAX_APPROVALS:
        problems.append((f"{base}.min_approvals", f"must be a whole number from 1 to {MAX_APPROVALS}"))
    if not isinstance(config.get("message", ""), str):
        problems.append((f"{base}.message", "must be text (a template)"))
    else:
        problems += syntax_errors(config.get("message", ""), f"{base}.message")
    problems += _positive(config, "timeout_seconds", base)
    if config.get("on_timeout", "reject") not in ("reject", "approve", "skip"):
        problems.append((f"{base}.on_timeout", "on_timeout is 'reject', 'approve' or 'skip'"))
    return problems + await _escalation_problems(session, tenant_id, base, config)


async def _escalation_problems(
    session: AsyncSession, tenant_id: uuid.UUID, base: str, config: dict[str, Any]
) -> list[Problem]:
    """Reminders and escalation of a gate; a `group:<name>` target is rewritten to `group:<id>`."""
    problems = _positive(config, "remind_after_seconds", base) + _positive(config, "escalate_after_seconds", base)
    after, target, replaces = (config.get(k) for k in ("escalate_after_seconds", "escalate_to", "escalation_replaces"))
    if replaces is not None and not isinstance(replaces, bool):
        problems.append((f"{base}.escalation_replaces", "must be true or false"))
    if after is None:
        for key, value in (("escalate_to", target), ("escalation_replaces", replaces or None)):
            if value is not None:
                problems.append((f"{base}.{key}", "needs escalate_after_seconds"))
        return problems
    timeout = config.get("timeout_seconds")
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in (after, timeout)) and after >= timeout:
        problems.append((f"{base}.escalate_after_seconds", "must be less than timeout_seconds: a gate escalates first"))
    if not is_escalation_target(target):
        return [*problems, (f"{base}.escalate_to", f"must be {ESCALATE_TO_HELP}")]
    stored = await stored_escalate_to(session, tenant_id, target)
    if stored is None:
        return [*problems, (f"{base}.escalate_to", f"no group '{target.removeprefix(GROUP_TARGET)}' in this tenant")]
    config["escalate_to"] = stored
    return problems


async def _approver_problems(session: AsyncSession, tenant_id: uuid.UUID, path: str, approver: Any) -> list[Problem]:
    """Checks one approver and rewrites a user's email or a group's name to its id."""
    if (
        not isinstance(approver, dict)
        or approver.get("type") not in APPROVER_TYPES
        or set(approver) - {"type", "value"}
    ):
        return [(path, "an approver is {type: user|group|role|any, value}")]
    kind, value = approver["type"], approver.get("value")
    if kind == "any":
        return [] if value is None else [(f"{path}.value", "an 'any' approver has no value")]
    if not isinstance(value, str) or not value:
        return [(f"{path}.value", f"a {kind} approver needs a value")]
    if kind == "role":
        return []
    found = await (_find_user if kind == "user" else _find_group)(session, tenant_id, value)
    if found is None:
        return [(f"{path}.value", f"no {kind} '{value}' in this tenant")]
    approver["value"] = str(found)
    return []


async def _find_user(session: AsyncSession, tenant_id: uuid.UUID, value: str) -> uuid.UUID | None:
    try:
        condition = User.id == uuid.UUID(value)
    except ValueError:
        condition = User.email == value.lower()
    found: uuid.UUID | None = await session.scalar(users_of(tenant_id).with_only_columns(User.id).where(condition))
    return found


async def _find_group(session: AsyncSession, tenant_id: uuid.UUID, value: str) -> uuid.UUID | None:
    try:
        condition = Group.id == uuid.UUID(value)
    except ValueError:
        condition = Group.name == value
    found: uuid.UUID | None = await session.scalar(groups_of(tenant_id).with_only_columns(Group.id).where(condition))
    return found


def _condition_problems(base: str, config: dict[str, Any]) -> list[Problem]:
    expression = config.get("expression")
    if not isinstance(expression, str) or not expression.strip():
        return [(f"{base}.expression", "a condition step needs an expression")]
    error = expression_error(expression)
    return [(f"{base}.expression", error)] if error else []


async def _notification_problems(
    session: AsyncSession, tenant_id: uuid.UUID, base: str, config: dict[str, Any]
) -> list[Problem]:
    problems: list[Problem] = []
    channel = config.get("channel")
    if not isinstance(channel, str) or not channel:
        problems.append((f"{base}.channel", "a notification step needs a channel id or name"))
    elif await find_channel(session, tenant_id, channel) is None:
        problems.append((f"{base}.channel", f"no notification channel '{channel}' in this tenant"))
    for key in ("subject", "body"):
        value = config.get(key, "")
        if not isinstance(value, str) or (key == "subject" and not value):
            problems.append(
                (f"{base}.{key}", "must be text (a template)" + (" and is required" if key == "subject" else ""))
            )
        else:
            problems += syntax_errors(value, f"{base}.{key}")
    return problems


def _delay_problems(base: str, config: dict[str, Any]) -> list[Problem]:
    if ("seconds" in config) == ("until" in config):
        return [(base, "a delay step needs either seconds or until")]
    if "seconds" in config:
        return _positive(config, "seconds", base, zero=True)
    until = config["until"]
    if not isinstance(until, str):
        return [(f"{base}.until", "an ISO-8601 time or a template")]
    if "{" in until:
        return syntax_errors(until, f"{base}.until")
    return [] if parse_time(until) else [(f"{base}.until", "not an ISO-8601 time with a time zone")]


def parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
