"""Built-in runbook actions: a registry other domains add to (e.g. "comment on an ITSM record"), and `echo`.

A domain registers its built-ins in its `tasks.py`, which workers and the API both import at start-up.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.kit import templating

SCRIPT_TYPES = frozenset({"shell", "python"})
CORE_TYPES = SCRIPT_TYPES | {"http"}


StepStatus = Literal["succeeded", "failed", "timed_out", "cancelled"]


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class StepOutcome:
    """How one action ended, whatever its type: what the step run records."""

    status: StepStatus
    started_at: datetime
    outputs: dict[str, Any] = field(default_factory=dict)
    log: str = ""
    reason: str | None = None
    exit_code: int | None = None
    finished_at: datetime = field(default_factory=now)

    @classmethod
    def failed(cls, reason: str, *, started_at: datetime, log: str = "") -> StepOutcome:
        return cls(status="failed", reason=reason, log=log, started_at=started_at)


class ActionFailed(Exception):
    """A built-in action could not do its work; the message becomes the step's reason."""


@dataclass(frozen=True)
class ActionContext:
    """What a built-in gets: who it runs for, a template renderer over the run so far, and a fenced transaction."""

    tenant_id: uuid.UUID
    execution_id: uuid.UUID
    action_name: str
    render: Callable[[Any], Awaitable[Any]]  # off the event loop, under the template budget
    transaction: Callable[[], AbstractAsyncContextManager[AsyncSession]]
    log: Callable[[str], Awaitable[None]]


Validate = Callable[[Mapping[str, Any]], list[tuple[str, str]]]
Run = Callable[[ActionContext, Mapping[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class BuiltinAction:
    """A built-in action type: which config keys it takes, how to check them, and how to run it.

    `validate` returns (config key or dotted path, message) pairs; `run` returns the action's outputs.
    `inline`: its only effects go through the transaction it is given (no process, no request, no file), so a
    workflow step may run it inside its own job and transaction instead of starting a runbook job for it.
    """

    type: str
    description: str
    fields: frozenset[str]
    required: frozenset[str]
    validate: Validate
    run: Run
    inline: bool = False


_BUILTINS: dict[str, BuiltinAction] = {}


def _no_checks(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    return []


def builtin_action(
    action_type: str,
    *,
    description: str,
    fields: set[str],
    required: set[str] | None = None,
    validate: Validate | None = None,
    inline: bool = False,
) -> Callable[[Run], Run]:
    """Registers the decorated coroutine as the built-in action `action_type` (e.g. "itsm.comment")."""
    if action_type in CORE_TYPES:
        raise ValueError(f"'{action_type}' is a core action type and cannot be registered as a built-in")

    def register(run: Run) -> Run:
        _BUILTINS[action_type] = BuiltinAction(
            type=action_type,
            description=description,
            fields=frozenset(fields),
            required=frozenset(required or set()),
            validate=validate or _no_checks,
            run=run,
            inline=inline,
        )
        return run

    return register


def builtin_for(action_type: str) -> BuiltinAction | None:
    return _BUILTINS.get(action_type)


def builtin_types() -> list[str]:
    return sorted(_BUILTINS)


def _check_echo(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    values = config.get("values")
    if not isinstance(values, dict):
        return [("values", "must be an object of output names to values (templates allowed)")]
    return templating.syntax_errors(values, "values")


@builtin_action(
    "echo",
    description="Outputs its `values`, rendered as templates over parameters and earlier outputs.",
    fields={"values"},
    required={"values"},
    validate=_check_echo,
    inline=True,  # renders templates, nothing else
)
async def echo(ctx: ActionContext, config: Mapping[str, Any]) -> dict[str, Any]:
    rendered = await ctx.render(config["values"])
    assert isinstance(rendered, dict)
    return rendered
