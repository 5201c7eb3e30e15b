"""Runs one runbook action of any type and reports a StepOutcome: scripts in the sandbox, http, built-ins.

A stop request (the job was cancelled, or the worker is stopping) kills a running script through the
sandbox's cancel event, or cancels an http request or built-in, and is reported as the action's outcome.
Templates are rendered in http and built-in action configs only (`kit.templating`, the one sandbox); script text never
is: parameters reach scripts as data, not as code.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tenantplane.kit import templating
from tenantplane.runbooks.actions import SCRIPT_TYPES, ActionContext, ActionFailed, StepOutcome, builtin_for, now
from tenantplane.runbooks.http_action import EgressPolicy, run_http
from tenantplane.runbooks.isolation import SandboxConfig
from tenantplane.runbooks.livelog import LiveLog, Transaction
from tenantplane.runbooks.network import run_network
from tenantplane.runbooks.outputs import SecretMask
from tenantplane.runbooks.sandbox import SandboxLimits, ScriptResult, run_script

Interrupted = Callable[[StepOutcome], Awaitable[StepOutcome]]
"""Turns the outcome of a stopped action into what the stop meant: cancelled by a user, or interrupted."""


@dataclass
class RunState:
    """What the actions of one execution share: inputs, secrets, outputs so far, the live log."""

    tenant_id: uuid.UUID
    execution_id: uuid.UUID
    parameters: dict[str, Any]
    secrets: dict[str, str]
    egress: EgressPolicy
    sandbox: SandboxConfig
    live: LiveLog
    transaction: Transaction
    context: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.mask = SecretMask(self.secrets)

    def template_context(self) -> dict[str, Any]:
        return {
            **self.context,
            "parameters": self.parameters,
            "outputs": self.outputs,
            "steps": self.steps,
            "secrets": self.secrets,
        }

    def record(self, name: str, outcome: StepOutcome) -> None:
        self.outputs.update(outcome.outputs)
        self.steps[name] = {"status": outcome.status, "outputs": outcome.outputs, "exit_code": outcome.exit_code}


async def run_action(
    state: RunState, position: int, action: Mapping[str, Any], *, remaining: float, interrupted: Interrupted
) -> StepOutcome:
    """Runs the action within `remaining` seconds; never raises for a failure of the action itself."""
    config = {k: v for k, v in action.items() if k not in ("name", "type")}
    if action["type"] in SCRIPT_TYPES:
        outcome = await _script(state, position, action["type"], config["script"], remaining)
    else:
        outcome = await _until_stopped(state, position, _other(state, position, action, config, remaining))
    return await interrupted(outcome) if outcome.status == "cancelled" else outcome


async def _until_stopped(state: RunState, position: int, work: Awaitable[StepOutcome]) -> StepOutcome:
    """The outcome of `work`, or a `cancelled` one if a stop is requested first (the work is cancelled)."""
    started_at = now()
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(state.stop.wait())
    try:
        await asyncio.wait([task, stopping], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if task.done():
        return task.result()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return StepOutcome(status="cancelled", log=state.live.text_of(position), started_at=started_at)


async def _other(
    state: RunState, position: int, action: Mapping[str, Any], config: dict[str, Any], remaining: float
) -> StepOutcome:
    started_at = now()
    try:
        async with asyncio.timeout(remaining):
            if action["type"] == "http":
                rendered = await templating.render_async(config, state.template_context())
                outcome = await run_http(rendered, timeout=remaining, egress=state.egress, mask=state.mask)
                state.live.write(position, "stdout", outcome.log)
                return outcome
            return await _builtin(state, position, action, config, started_at)
    except TimeoutError:
        reason = f"killed after the runbook's remaining {remaining:.0f}s ran out"
        return StepOutcome(status="timed_out", reason=reason, log=state.live.text_of(position), started_at=started_at)
    except templating.TemplateFailed as error:
        return StepOutcome.failed(state.mask.apply(str(error)), started_at=started_at)


async def _script(state: RunState, position: int, kind: str, script: str, remaining: float) -> StepOutcome:
    async def on_output(stream: str, text: str) -> None:
        state.live.write(position, stream, text)

    network = await run_network(
        operator_allowed=state.egress.operator_allowed, tenant_allowed=state.egress.tenant_allowed
    )
    try:
        result = await run_script(
            kind="python" if kind == "python" else "shell",
            script=script,
            parameters=state.parameters,
            secrets=state.secrets,
            earlier_outputs=state.outputs,
            limits=SandboxLimits(timeout_seconds=remaining),
            config=state.sandbox,
            network=network,
            on_output=on_output,
            cancel=state.stop,
        )
    except ValueError as error:  # a secret the sandbox refuses to put in the environment
        return StepOutcome.failed(state.mask.apply(str(error)), started_at=now())
    return _from_script(result)


def _from_script(result: ScriptResult) -> StepOutcome:
    log = result.log + "".join(f"\n[note] {note}" for note in result.notes)
    return StepOutcome(
        status=result.status,
        outputs=result.outputs,
        log=log,
        reason=None if result.status == "succeeded" else result.reason,
        exit_code=result.exit_code,
        started_at=result.started_at,
        finished_at=result.finished_at,
    )


async def _builtin(
    state: RunState, position: int, action: Mapping[str, Any], config: dict[str, Any], started_at: datetime
) -> StepOutcome:
    spec = builtin_for(action["type"])
    if spec is None:
        return StepOutcome.failed(
            f"the built-in action '{action['type']}' is not loaded in this worker", started_at=started_at
        )

    async def write(text: str) -> None:
        state.live.write(position, "stdout", state.mask.apply(text))

    context = ActionContext(
        tenant_id=state.tenant_id,
        execution_id=state.execution_id,
        action_name=action["name"],
        render=lambda value: templating.render_async(value, state.template_context()),
        transaction=state.transaction,
        log=write,
    )
    try:
        outputs = await spec.run(context, config)
    except (ActionFailed, templating.TemplateFailed) as error:
        return StepOutcome.failed(state.mask.apply(str(error)), started_at=started_at, log=state.live.text_of(position))
    except Exception as error:  # a bug in a built-in fails its step, not the worker
        reason = state.mask.apply(f"{type(error).__name__}: {error}")
        return StepOutcome.failed(reason, started_at=started_at, log=state.live.text_of(position))
    masked = state.mask.apply_to_outputs(outputs)
    return StepOutcome(status="succeeded", outputs=masked, log=state.live.text_of(position), started_at=started_at)
