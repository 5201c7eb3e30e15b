"""Automation figures: workflow executions by status, step durations, failure hot spots and approval gate waits.

Executions are read by (tenant, created_at) — the range is when an execution was created — and their step runs by
(execution_id, position); gates by (tenant, created_at), the time they opened.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.insights.queries_approvals import EPOCH, PERCENTILES, fetch
from tenantplane.insights.scope import Scope


def _executions(scope: Scope) -> str:
    return (
        "e.tenant_id = :tenant AND e.kind = 'workflow' AND e.created_at >= :start AND e.created_at < :end"
        f"{scope.workflow_filter('e')}"
    )


async def executions(session: AsyncSession, scope: Scope) -> list[dict[str, Any]]:
    sql = (
        "SELECT e.workflow_id, w.name AS workflow_name, e.status, count(*) AS count"
        f" FROM executions e JOIN workflows w ON w.id = e.workflow_id WHERE {_executions(scope)}"
        " GROUP BY e.workflow_id, w.name, e.status ORDER BY w.name, e.workflow_id, e.status"
    )
    return await fetch(session, sql, scope.params())


async def step_durations(session: AsyncSession, scope: Scope) -> list[dict[str, Any]]:
    took = EPOCH.format("s.finished_at - s.started_at")
    sql = (
        "SELECT e.workflow_id, w.name AS workflow_name, COALESCE(s.step_id, '') AS step_id,"
        f" max(s.name) AS step_name, count(*) AS count, {PERCENTILES.format(took)}"
        " FROM executions e JOIN workflows w ON w.id = e.workflow_id JOIN step_runs s ON s.execution_id = e.id"
        f" WHERE {_executions(scope)} AND s.started_at IS NOT NULL AND s.finished_at IS NOT NULL"
        " GROUP BY e.workflow_id, w.name, COALESCE(s.step_id, '') ORDER BY w.name, e.workflow_id, 3"
    )
    return await fetch(session, sql, scope.params())


async def failures(session: AsyncSession, scope: Scope) -> list[dict[str, Any]]:
    failed = "s.status IN ('failed', 'timed_out')"
    sql = (
        "SELECT * FROM (SELECT e.workflow_id, w.name AS workflow_name, COALESCE(s.step_id, '') AS step_id,"
        f" max(s.name) AS step_name, count(*) FILTER (WHERE {failed}) AS failures, count(*) AS runs,"
        f" max(s.finished_at) FILTER (WHERE {failed}) AS last_failed_at,"
        f" (array_agg(s.reason ORDER BY s.finished_at DESC NULLS LAST) FILTER (WHERE {failed}))[1] AS last_reason"
        " FROM executions e JOIN workflows w ON w.id = e.workflow_id JOIN step_runs s ON s.execution_id = e.id"
        f" WHERE {_executions(scope)} GROUP BY e.workflow_id, w.name, COALESCE(s.step_id, '')) f"
        " WHERE f.failures > 0 ORDER BY f.failures DESC, f.workflow_name, f.workflow_id, f.step_id"
    )
    rows = await fetch(session, sql, scope.params())
    for row in rows:
        row["failure_rate"] = row["failures"] / row["runs"]
    return rows


async def gate_waits(session: AsyncSession, scope: Scope) -> list[dict[str, Any]]:
    decided = "g.decided_at IS NOT NULL AND g.status IN ('approved', 'rejected')"
    wait = EPOCH.format("g.decided_at - g.created_at")
    sql = (
        "SELECT e.workflow_id, w.name AS workflow_name, g.step_id, count(*) AS count,"
        " count(*) FILTER (WHERE g.status = 'pending') AS pending,"
        " count(*) FILTER (WHERE g.status = 'approved') AS approved,"
        " count(*) FILTER (WHERE g.status = 'rejected') AS rejected,"
        " count(*) FILTER (WHERE g.status = 'timed_out') AS timed_out,"
        f" percentile_cont(0.5) WITHIN GROUP (ORDER BY {wait}) FILTER (WHERE {decided}) AS p50_seconds,"
        f" percentile_cont(0.9) WITHIN GROUP (ORDER BY {wait}) FILTER (WHERE {decided}) AS p90_seconds"
        " FROM approval_gates g JOIN executions e ON e.id = g.execution_id JOIN workflows w ON w.id = e.workflow_id"
        " WHERE g.tenant_id = :tenant AND g.created_at >= :start AND g.created_at < :end"
        f"{scope.workflow_filter('e')}"
        " GROUP BY e.workflow_id, w.name, g.step_id ORDER BY w.name, e.workflow_id, g.step_id"
    )
    return await fetch(session, sql, scope.params())
