"""Which runbook version a workflow's runbook step runs, and with which parameters: pinned, approved or latest.

An execution pins every runbook step's version when it starts; a step right after an approval gate runs exactly
the version and the rendered parameters that gate showed its approvers (recorded in the gate's subject).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.automation.definitions.validation import LATEST
from tenantplane.automation.engine.expressions import TemplateFailed, render_async
from tenantplane.automation.runs.models import ApprovalGate
from tenantplane.runbooks.models import Runbook

if TYPE_CHECKING:
    from tenantplane.automation.runs.state import LoadedRun

# Gate statuses after which the path beyond the gate may run (a cancelled gate's step never runs on).
DECIDED = ("approved", "rejected", "timed_out")


async def runbook_pins(session: AsyncSession, tenant_id: uuid.UUID, steps: list[dict[str, Any]]) -> dict[str, int]:
    """The version each runbook step of a starting execution runs: its explicit `version`, else the runbook's current.

    `latest` steps get none (they resolve when they start), nor do runbooks gone from the tenant (those steps fail
    when they start, as they always did).
    """
    pins: dict[str, int] = {}
    wanted: dict[str, uuid.UUID] = {}
    for step in steps:
        if step["type"] != "runbook":
            continue
        version = step["config"].get("version")
        if isinstance(version, int) and not isinstance(version, bool):
            pins[step["id"]] = version
        elif version != LATEST:
            try:
                wanted[step["id"]] = uuid.UUID(str(step["config"].get("runbook_id")))
            except ValueError:
                continue
    if wanted:
        stmt = select(Runbook.id, Runbook.current_version).where(
            Runbook.tenant_id == tenant_id, Runbook.id.in_(set(wanted.values()))
        )
        current = {row.id: row.current_version for row in await session.execute(stmt)}
        pins |= {step_id: current[runbook_id] for step_id, runbook_id in wanted.items() if runbook_id in current}
    return pins


@dataclass(frozen=True)
class PlannedRun:
    """What one run of a runbook step starts: a version (None: the runbook's current one) and its parameters."""

    version: int | None
    parameters: dict[str, Any]
    # The gate whose approvers saw exactly this run, if one did.
    gate_id: uuid.UUID | None = None


async def planned_run(
    session: AsyncSession, loaded: LoadedRun, step_id: str, config: dict[str, Any], context: dict[str, Any]
) -> PlannedRun:
    """The run a runbook step starts now; raises `TemplateFailed` when its parameters cannot be rendered."""
    shown = await shown_by_gate(session, loaded, step_id)
    if shown is not None:
        gate, entry = shown
        if entry.get("error"):
            raise TemplateFailed(f"the parameters the approvers saw could not be rendered: {entry['error']}")
        return PlannedRun(int(entry["runbook_version"]), dict(entry["parameters"]), gate.id)
    parameters = await render_async(config.get("parameters", {}), context)
    if config.get("version") == LATEST:
        return PlannedRun(None, parameters)
    # None only for executions started before runbook steps were pinned: they run the current version.
    await loaded.load_step_runs(session, [step_id])
    return PlannedRun(loaded.step_runs[step_id].runbook_version, parameters)


async def shown_by_gate(
    session: AsyncSession, loaded: LoadedRun, step_id: str
) -> tuple[ApprovalGate, dict[str, Any]] | None:
    """The latest decided gate of an approval step right before this step, and what it showed of this step.

    None when no gate was decided before it, or the gate opened before gates recorded the runbook version.
    """
    graph = loaded.graph
    approvals = {
        graph.edges[k].source for k in graph.incoming(step_id) if graph.step(graph.edges[k].source).type == "approval"
    }
    if not approvals:
        return None
    execution = loaded.execution
    stmt = (
        select(ApprovalGate)
        .where(
            ApprovalGate.tenant_id == execution.tenant_id,
            ApprovalGate.execution_id == execution.id,
            ApprovalGate.step_id.in_(approvals),
            ApprovalGate.status.in_(DECIDED),
        )
        .order_by(ApprovalGate.decided_at.desc().nulls_last(), ApprovalGate.created_at.desc())
        .limit(1)
    )
    gate = await session.scalar(stmt)
    if gate is None:
        return None
    for entry in gate.subject.get("next_steps", []):
        if entry.get("step_id") == step_id and "runbook_version" in entry:
            return gate, entry
    return None


async def versions_to_show(
    session: AsyncSession, loaded: LoadedRun, runbook_ids: list[uuid.UUID]
) -> dict[str, tuple[str, int]]:
    """Name and current version of the runbooks a gate names (the version for steps that have no pin)."""
    if not runbook_ids:
        return {}
    stmt = select(Runbook.id, Runbook.name, Runbook.current_version).where(
        Runbook.tenant_id == loaded.execution.tenant_id, Runbook.id.in_(runbook_ids)
    )
    return {str(row.id): (row.name, row.current_version) for row in await session.execute(stmt)}
