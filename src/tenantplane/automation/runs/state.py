"""A workflow execution as the shell loads it: its job kinds, compiled versions, and the locked run (`load_run`).

Every change of an execution starts from `load_run` (the row lock); `service.apply_event` then applies the engine.
"""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.automation.definitions import repository as workflows_repo
from tenantplane.automation.definitions.validation import edge_specs, step_specs
from tenantplane.automation.engine import ExecutionState, StepFinished
from tenantplane.automation.engine.expressions import run_context
from tenantplane.automation.engine.graph import WorkflowGraph, build_graph
from tenantplane.automation.runs import repository as repo
from tenantplane.automation.runs.models import AutomationRun
from tenantplane.executions import service as executions
from tenantplane.executions.models import Execution, StepRun
from tenantplane.secrets.models import Secret

RUN_STEP = "automation.run_step"
TIMER = "automation.timer"
GATE_TIMEOUT = "automation.gate_timeout"
GATE_UNDECIDABLE = "automation.gate_undecidable"
GATE_REMIND = "automation.gate_remind"
GATE_ESCALATE = "automation.gate_escalate"
CANCEL_STEP = "automation.cancel_step"
STEP_TIMEOUT = "automation.step_timeout"

# Compiled workflow versions kept per process (versions are immutable, so an entry never goes stale).
VERSION_CACHE_SIZE = 256


@dataclass(frozen=True)
class CompiledVersion:
    """One immutable workflow version as the shell needs it: the definition, its graph, configs by step.

    Shared between transactions through the cache: treat it as read-only.
    """

    definition: dict[str, Any]
    graph: WorkflowGraph
    configs: dict[str, dict[str, Any]]
    # Whether any step mentions `secrets`: only then are the tenant's secret names read for its context.
    uses_secrets: bool = False


class _VersionCache:
    """A small LRU of compiled versions keyed by (tenant, workflow, version)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[uuid.UUID, uuid.UUID, int], CompiledVersion] = OrderedDict()

    def get(self, key: tuple[uuid.UUID, uuid.UUID, int]) -> CompiledVersion | None:
        found = self.entries.get(key)
        if found is not None:
            self.entries.move_to_end(key)
        return found

    def put(self, key: tuple[uuid.UUID, uuid.UUID, int], compiled: CompiledVersion) -> None:
        self.entries[key] = compiled
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)


version_cache = _VersionCache(VERSION_CACHE_SIZE)


async def compiled_version(
    session: AsyncSession, tenant_id: uuid.UUID, workflow_id: uuid.UUID, version: int
) -> CompiledVersion:
    """The workflow version's definition and graph, read and built once per process."""
    key = (tenant_id, workflow_id, version)
    found = version_cache.get(key)
    if found is None:
        definition = (await workflows_repo.get_version(session, tenant_id, workflow_id, version)).definition
        configs = {s["id"]: s["config"] for s in definition["steps"]}
        uses_secrets = "secrets" in json.dumps(definition["steps"])
        found = CompiledVersion(definition, graph_of(definition), configs, uses_secrets)
        version_cache.put(key, found)
    return found


@dataclass
class LoadedRun:
    """A locked workflow execution with its pinned definition, graph, engine state and step runs."""

    execution: Execution
    run: AutomationRun
    compiled: CompiledVersion
    step_runs: dict[str, StepRun]
    # The parsed engine state with the `run.state` dict it was parsed from (another `LoadedRun` of the same
    # row in this session, or a reload, replaces that dict and so invalidates this).
    _parsed: tuple[dict[str, Any], ExecutionState] | None = field(default=None, repr=False)
    # A newer state than `run.state`, not yet written: a run of inline steps serialises only its last state.
    _unwritten: ExecutionState | None = field(default=None, repr=False)
    # The tenant's secret names (masked in the context), read when the workflow mentions `secrets`.
    secret_names: tuple[str, ...] = ()
    # Whether `step_runs` holds every step's row, or only those of the steps in play when it was loaded.
    all_step_runs: bool = True
    # Runbook steps whose runbook (inline built-ins) this transaction ran to its end, and, while one runs, where
    # its step's end goes: the transition that started it applies that next (`runbook_steps.start_in_transition`).
    inline_runbooks: int = 0
    finished_inline: list[tuple[StepFinished, str | None]] | None = field(default=None, repr=False)

    def steps_in_play(self) -> list[str]:
        """The steps the next event most likely changes: those running or waiting, and the steps right after them."""
        graph, found = self.graph, []
        for step_id, run in self.state.steps.items():
            if run.status in ("running", "waiting"):
                found.append(step_id)
                found.extend(graph.edges[k].target for k in graph.outgoing(step_id))
        return found

    async def load_step_runs(self, session: AsyncSession, step_ids: Iterable[str]) -> None:
        """Make sure `step_runs` holds these steps' rows: on a miss all rows are read, once (a chain of inline steps,
        a skip or a retry touches many), so an event never costs more than two reads of them."""
        if self.all_step_runs or all(step_id in self.step_runs for step_id in step_ids):
            return
        execution = self.execution
        self.step_runs.update(await repo.step_runs(session, execution.tenant_id, execution.id))
        self.all_step_runs = True

    @property
    def state(self) -> ExecutionState:
        if self._unwritten is not None:
            return self._unwritten
        if self._parsed is None or self._parsed[0] is not self.run.state:
            self._parsed = (self.run.state, ExecutionState.from_dict(self.run.state))
        return self._parsed[1]

    def store(self, state: ExecutionState, *, write: bool = True) -> None:
        """The engine's new state; `write` puts it on the run row now (persisted at the next flush)."""
        self._unwritten = state
        if write:
            self.write()

    def write(self) -> None:
        """Put a stored state on the run row; done before anything that may flush or read the row."""
        if self._unwritten is not None:
            stored = self._unwritten.to_dict()
            self.run.state = stored
            self._parsed, self._unwritten = (stored, self._unwritten), None

    @property
    def definition(self) -> dict[str, Any]:
        return self.compiled.definition

    @property
    def graph(self) -> WorkflowGraph:
        return self.compiled.graph

    def config(self, step_id: str) -> dict[str, Any]:
        return dict(self.compiled.configs[step_id])

    def context(self) -> dict[str, Any]:
        execution = {
            "id": str(self.execution.id),
            "workflow_id": str(self.execution.workflow_id),
            "workflow_version": self.execution.workflow_version,
            "started_by": str(self.execution.started_by) if self.execution.started_by else None,
        }
        return run_context(
            state=self.state,
            inputs=self.execution.parameters,
            execution=execution,
            trigger=self.run.trigger,
            secret_names=self.secret_names,
        )


def graph_of(definition: dict[str, Any]) -> WorkflowGraph:
    return build_graph(step_specs(definition["steps"]), edge_specs(definition["edges"]))


def now() -> datetime:
    return datetime.now(UTC)


# `session.info` key of the runs this transaction has locked and loaded, by execution id.
_LOADED = "tenantplane.automation.loaded_runs"


async def load_run(session: AsyncSession, tenant_id: uuid.UUID, execution_id: uuid.UUID) -> LoadedRun:
    """Lock the execution row (every change of it goes through here) and read what the engine needs.

    Once per transaction: the row stays locked until it ends and every change of it goes through the `LoadedRun`,
    so a second call (a runbook step's inline run finishing inside the job that started it, a cancel applying its
    event) gets the same one instead of reading the rows again.
    """
    loaded_here = _loaded_here(session)
    cached = loaded_here.get(execution_id)
    if cached is not None and cached.execution.tenant_id == tenant_id:
        return cached
    loaded = await _read_run(session, tenant_id, execution_id)
    if loaded is None:
        raise executions.IllegalTransition(f"Execution {execution_id} is not a workflow execution.")
    loaded_here[execution_id] = loaded
    return loaded


async def load_run_of_step(
    session: AsyncSession, tenant_id: uuid.UUID, step_run_id: uuid.UUID
) -> tuple[LoadedRun, StepRun] | None:
    """`load_run` of the execution a workflow step run belongs to, with that step run (None: no such step run).

    A runbook step's execution ending knows only its step run: unless this transaction has it already, the run is
    found through it in the statement that locks it, and the step run comes with the steps in play (it is running).
    """
    loaded_here = _loaded_here(session)
    # Only in a transaction that has loaded no run yet: a second read of a loaded one would replace its rows.
    if not loaded_here and session.identity_key(StepRun, step_run_id) not in session.identity_map:
        of_step = (
            select(StepRun.execution_id)
            .where(StepRun.tenant_id == tenant_id, StepRun.id == step_run_id, StepRun.step_id.is_not(None))
            .scalar_subquery()
        )
        loaded = await _read_run(session, tenant_id, of_step)
        if loaded is None:
            return None
        loaded_here[loaded.execution.id] = loaded
        in_play = next((row for row in loaded.step_runs.values() if row.id == step_run_id), None)
        if in_play is not None:
            return loaded, in_play
    step_run = await repo.get_step_run(session, tenant_id, step_run_id)
    if step_run is None or step_run.step_id is None:
        return None
    return await load_run(session, tenant_id, step_run.execution_id), step_run


def _loaded_here(session: AsyncSession) -> dict[uuid.UUID, LoadedRun]:
    """The runs this transaction has locked and loaded, by execution id (a new transaction starts with none)."""
    transaction = session.sync_session.get_nested_transaction() or session.sync_session.get_transaction()
    held: tuple[Any, dict[uuid.UUID, LoadedRun]] | None = session.info.get(_LOADED)
    if held is None or held[0] is not transaction:
        held = (transaction, {})
        session.info[_LOADED] = held
    return held[1]


async def _read_run(session: AsyncSession, tenant_id: uuid.UUID, execution_id: Any) -> LoadedRun | None:
    """The workflow execution locked, with what the engine needs; None when there is no such workflow execution.
    `execution_id`: the id, or a scalar subquery giving it."""
    # The execution row locked and its engine state read in one round trip (the state row is not locked: it
    # changes only under the execution's lock).
    stmt = (
        select(Execution, AutomationRun)
        .outerjoin(
            AutomationRun,
            (AutomationRun.execution_id == Execution.id) & (AutomationRun.tenant_id == Execution.tenant_id),
        )
        .where(Execution.tenant_id == tenant_id, Execution.id == execution_id)
        .with_for_update(of=Execution)
        .execution_options(populate_existing=True)
    )
    found = (await session.execute(stmt)).first()
    execution, run = found if found is not None else (None, None)
    if execution is None or execution.workflow_id is None or execution.workflow_version is None:
        return None
    assert run is not None
    compiled = await compiled_version(session, tenant_id, execution.workflow_id, execution.workflow_version)
    names = await secret_names_of(session, tenant_id) if compiled.uses_secrets else ()
    loaded = LoadedRun(execution, run, compiled, {}, secret_names=names, all_step_runs=False)
    # Only the rows an event is likely to touch: reading all of a 200-step workflow's per event made a long
    # chain slower per step than a short one.
    loaded.step_runs = await repo.step_runs(session, tenant_id, execution_id, only=loaded.steps_in_play())
    return loaded


async def secret_names_of(session: AsyncSession, tenant_id: uuid.UUID) -> tuple[str, ...]:
    stmt = select(Secret.name).where(Secret.tenant_id == tenant_id).order_by(Secret.name)
    return tuple((await session.scalars(stmt)).all())
