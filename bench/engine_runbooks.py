"""Runbook-step chains for `bench.engine`: a workflow of N runbook steps (a built-in `echo` runbook, or a shell
runbook running `true`) on one worker process, with the sandbox's bare spawn of `true` measured in the same run.

Each chain prints ms/step and where a step's time goes: queue wait (a job's insert → its claim), the action itself
(the step run's started → finished of the runbook's action: the sandbox for a script) and bookkeeping (the rest).
"""

from __future__ import annotations

import statistics
import time
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg

from bench.jobs import _stop, _workers
from tenantplane.automation.definitions.schemas import WorkflowWrite
from tenantplane.automation.definitions.service import create_workflow
from tenantplane.identity.auth import Principal
from tenantplane.kit.db import Database
from tenantplane.runbooks.isolation import SandboxConfig
from tenantplane.runbooks.network import run_network
from tenantplane.runbooks.sandbox import SandboxLimits, run_script
from tenantplane.runbooks.schemas import RunbookWrite
from tenantplane.runbooks.service import create_runbook
from tenantplane.settings import Settings

FINISHED = ("succeeded", "failed", "cancelled", "rejected", "timed_out")


@dataclass(frozen=True)
class ChainResult:
    steps: int
    ms_per_step: float
    queue_ms: float  # per step: jobs' insert → claim, summed over the step's jobs
    action_ms: float  # per step: the runbook action's own time (the sandbox, for a script)
    jobs_per_step: float
    statuses: list[str]

    @property
    def bookkeeping_ms(self) -> float:
        return self.ms_per_step - self.queue_ms - self.action_ms

    def breakdown(self) -> str:
        return (
            f"queue wait {self.queue_ms:.2f}  action/sandbox {self.action_ms:.2f}  "
            f"bookkeeping {self.bookkeeping_ms:.2f} ms/step; {self.jobs_per_step:.1f} jobs/step"
        )


async def runbook_workflows(db: Database, starter: Principal, sizes: dict[str, int]) -> dict[str, uuid.UUID]:
    """One echo and one shell runbook, and a chain workflow of runbook steps per (name → size); `echo-N`/`shell-N`."""
    async with db.transaction() as session:
        echo = await create_runbook(
            session,
            actor=starter,
            data=RunbookWrite(
                name="echo",
                parameters={"type": "object", "properties": {"n": {"type": "string"}}},
                actions=[{"name": "say", "type": "echo", "values": {"n": "{{ parameters.n }}"}}],
            ),
        )
        shell = await create_runbook(
            session,
            actor=starter,
            data=RunbookWrite(name="true", actions=[{"name": "run", "type": "shell", "script": "true"}]),
        )
        ids: dict[str, uuid.UUID] = {}
        for name, size in sizes.items():
            runbook = echo if name.startswith("echo") else shell
            steps: list[dict[str, Any]] = []
            for i in range(size):
                config: dict[str, Any] = {"runbook_id": str(runbook.id)}
                if runbook is echo:
                    config["parameters"] = {"n": str(i)}
                steps.append({"id": f"r{i:03d}", "type": "runbook", "config": config})
            data = WorkflowWrite.model_validate({"name": name, "steps": steps})  # no edges: the steps in list order
            ids[name] = (await create_workflow(session, actor=starter, data=data)).id
    return ids


def _chain_figures(conn: psycopg.Connection, execution_id: uuid.UUID) -> tuple[float, float, int, list[str]]:
    """(queue wait ms, action ms, jobs) summed over the execution and its runbook executions; the statuses."""
    children = [
        r[0]
        for r in conn.execute(
            "SELECT e.id FROM executions e JOIN step_runs s ON s.id = e.origin_id WHERE s.execution_id = %s",
            (execution_id,),
        )
    ]
    ids = [str(execution_id), *map(str, children)]
    queue_ms, jobs = conn.execute(
        "SELECT COALESCE(sum(EXTRACT(EPOCH FROM (started_at - created_at))) * 1000, 0), count(*) FROM jobs "
        "WHERE payload->>'execution_id' = ANY(%s)",
        (ids,),
    ).fetchone()  # type: ignore[misc]
    (action_ms,) = conn.execute(
        "SELECT COALESCE(sum(EXTRACT(EPOCH FROM (finished_at - started_at))) * 1000, 0) FROM step_runs "
        "WHERE execution_id = ANY(%s)",
        (children,),
    ).fetchone()  # type: ignore[misc]
    statuses = [
        r[0]
        for r in conn.execute("SELECT DISTINCT status FROM executions WHERE id = ANY(%s)", ([execution_id, *children],))
    ]
    return float(queue_ms), float(action_ms), int(jobs), statuses


async def runbook_chain(url: str, db: Database, starter: Principal, workflow_id: uuid.UUID, steps: int) -> ChainResult:
    """One chain on a fresh worker process (after a warm-up chain of the same workflow): wall time / steps."""
    from tenantplane.automation.runs.service import execute_workflow

    procs = _workers(url, 1, 10)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            for warm in (True, False):
                started = time.perf_counter()
                async with db.transaction() as session:
                    execution = await execute_workflow(
                        session, actor=starter, tenant_id=starter.tenant, workflow_id=workflow_id, inputs={}
                    )
                _wait(conn, execution.id)
                elapsed = time.perf_counter() - started
                if not warm:
                    queue_ms, action_ms, jobs, statuses = _chain_figures(conn, execution.id)
        return ChainResult(steps, elapsed * 1000 / steps, queue_ms / steps, action_ms / steps, jobs / steps, statuses)
    finally:
        _stop(procs)


def _wait(conn: psycopg.Connection, execution_id: uuid.UUID, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while conn.execute("SELECT status FROM executions WHERE id = %s", (execution_id,)).fetchone()[0] not in FINISHED:  # type: ignore[index]
        if time.monotonic() > deadline:
            raise RuntimeError(f"execution {execution_id} did not finish")
        time.sleep(0.002)


async def bare_spawn_ms(url: str, samples: int) -> tuple[float, str]:
    """The sandbox's own cost: `run_script` of `true` as a worker runs it (same settings), median ms; its status."""
    config = SandboxConfig.from_settings(Settings(database_url=url))
    network = await run_network(operator_allowed=[], tenant_allowed=[])
    times, status = [], ""
    for _ in range(samples + 2):  # two warm-ups
        started = time.perf_counter()
        result = await run_script(
            kind="shell",
            script="true",
            parameters={},
            secrets={},
            earlier_outputs={},
            limits=SandboxLimits(timeout_seconds=30),
            config=config,
            network=network,
        )
        times.append((time.perf_counter() - started) * 1000)
        status = result.status
    return statistics.median(times[2:]), status
