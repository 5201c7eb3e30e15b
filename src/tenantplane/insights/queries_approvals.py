"""Approval figures, computed in SQL over approval_instances (their engine state), approval_assignments and users.

A decision lives in its instance's state (`state->'steps'[*]->'decisions'[*]`, with the step's `opened_at`): the
decided-in-range queries read the instances that can hold such a decision — pending ones created before the end,
finished ones finished after the start — through the (tenant, status, created_at) and (tenant, finished_at)
indexes, and unnest only those.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.insights.scope import Scope

GroupBy = Literal["definition", "step", "approver"]
EPOCH = "extract(epoch FROM {})::float8"
PERCENTILES = (
    "percentile_cont(0.5) WITHIN GROUP (ORDER BY {0}) AS p50_seconds, "
    "percentile_cont(0.9) WITHIN GROUP (ORDER BY {0}) AS p90_seconds"
)
# An instance's steps and a step's decisions as typed rows (one parse each, cheaper than ->> and casts per field).
STEPS = (
    "CROSS JOIN LATERAL jsonb_to_recordset(i.state->'steps')"
    " AS st(name text, status text, opened_at timestamptz, decisions jsonb)"
)
DECISIONS = (
    "CROSS JOIN LATERAL jsonb_to_recordset(st.decisions)"
    " AS d(user_id uuid, on_behalf_of uuid, outcome text, at timestamptz)"
)
BUCKETS = (
    ("lt_1h", 0, 3600),
    ("1h_4h", 3600, 4 * 3600),
    ("4h_24h", 4 * 3600, 24 * 3600),
    ("1d_3d", 24 * 3600, 3 * 86400),
    ("3d_7d", 3 * 86400, 7 * 86400),
    ("gt_7d", 7 * 86400, None),
)


SETTINGS = (
    "SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true),"
    " set_config('random_page_cost', '1.1', true), set_config('plan_cache_mode', 'force_custom_plan', true)"
)


async def fetch(session: AsyncSession, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Run one insights statement with the planner settings measured by bench/insights.py (docs/insights.md):
    no JIT (compiling cost 1.3 s against 50 ms of running), no parallel workers (a few thousand rows: start-up cost
    and variance only), index lookups priced as the cached reads they are (else a 1,000,000-row step_runs or
    service_requests table is scanned whole for 9,000 rows), and a plan made for the actual range each time (a
    prepared statement's generic plan does not know how narrow the range is)."""
    await session.execute(text(SETTINGS))
    return [dict(row) for row in (await session.execute(text(sql), params)).mappings().all()]


def may_hold_decisions(scope: Scope, alias: str = "i") -> str:
    """The instances that can hold a decision made in [start, end)."""
    return (
        f"{alias}.tenant_id = :tenant AND {alias}.created_at < :end"
        f" AND ({alias}.finished_at >= :start OR {alias}.status = 'pending'){scope.instance_filter(alias)}"
    )


def decisions_sql(scope: Scope) -> str:
    """One row per decision made in range: definition, step, approver (the principal), its time, outcome, wait."""
    return (
        "SELECT i.definition_id, st.name AS step_name, COALESCE(d.on_behalf_of, d.user_id) AS approver_id,"
        f" d.outcome, d.at, {EPOCH.format('d.at - st.opened_at')} AS wait"
        f" FROM approval_instances i {STEPS} {DECISIONS}"
        f" WHERE {may_hold_decisions(scope)} AND d.at >= :start AND d.at < :end"
    )


async def time_to_decision(session: AsyncSession, scope: Scope, group_by: GroupBy) -> list[dict[str, Any]]:
    if group_by == "definition":
        sql = (
            "SELECT i.definition_id, def.name AS definition_name, NULL AS step_name, NULL AS approver_id,"
            " NULL AS approver_name, count(*) AS count,"
            f" {PERCENTILES.format(EPOCH.format('i.finished_at - i.created_at'))}"
            " FROM approval_instances i JOIN approval_definitions def ON def.id = i.definition_id"
            " WHERE i.tenant_id = :tenant AND i.finished_at >= :start AND i.finished_at < :end"
            f" AND i.status IN ('approved', 'rejected'){scope.instance_filter('i')}"
            " GROUP BY i.definition_id, def.name ORDER BY def.name, i.definition_id"
        )
    elif group_by == "step":
        wait = EPOCH.format("s.decided_at - s.opened_at")
        sql = (
            "WITH s AS (SELECT i.definition_id, st.name AS step_name, st.opened_at, last.decided_at"
            f" FROM approval_instances i {STEPS}"
            " CROSS JOIN LATERAL (SELECT max(d.at) AS decided_at FROM jsonb_to_recordset(st.decisions)"
            " AS d(at timestamptz)) last"
            f" WHERE {may_hold_decisions(scope)} AND st.status IN ('approved', 'rejected')"
            " AND st.opened_at IS NOT NULL AND last.decided_at >= :start AND last.decided_at < :end)"
            " SELECT s.definition_id, def.name AS definition_name, s.step_name, NULL AS approver_id,"
            f" NULL AS approver_name, count(*) AS count, {PERCENTILES.format(wait)}"
            " FROM s JOIN approval_definitions def ON def.id = s.definition_id"
            " GROUP BY s.definition_id, def.name, s.step_name ORDER BY def.name, s.definition_id, s.step_name"
        )
    else:
        sql = (
            f"WITH d AS ({decisions_sql(scope)})"
            " SELECT NULL AS definition_id, NULL AS definition_name, NULL AS step_name, d.approver_id,"
            f" u.display_name AS approver_name, count(*) AS count, {PERCENTILES.format('d.wait')}"
            " FROM d LEFT JOIN users u ON u.id = d.approver_id AND u.tenant_id = :tenant"
            " GROUP BY d.approver_id, u.display_name ORDER BY u.display_name, d.approver_id"
        )
    return await fetch(session, sql, scope.params())


async def outcomes(session: AsyncSession, scope: Scope) -> list[dict[str, Any]]:
    sql = (
        "SELECT i.definition_id, def.name AS definition_name,"
        " count(*) FILTER (WHERE i.status = 'approved') AS approved,"
        " count(*) FILTER (WHERE i.status = 'rejected') AS rejected,"
        " count(*) FILTER (WHERE i.status = 'cancelled') AS cancelled, count(*) AS total"
        " FROM approval_instances i JOIN approval_definitions def ON def.id = i.definition_id"
        " WHERE i.tenant_id = :tenant AND i.finished_at >= :start AND i.finished_at < :end"
        f"{scope.instance_filter('i')}"
        " GROUP BY i.definition_id, def.name ORDER BY def.name, i.definition_id"
    )
    rows = await fetch(session, sql, scope.params())
    for row in rows:
        decided = row["approved"] + row["rejected"]
        row["approval_rate"] = row["approved"] / decided if decided else None
        row["rejection_rate"] = row["rejected"] / decided if decided else None
    return rows


async def pending_by_age(session: AsyncSession, scope: Scope) -> list[dict[str, Any]]:
    sql = (
        f"SELECT {EPOCH.format(':now - i.created_at')} AS age FROM approval_instances i"
        " WHERE i.tenant_id = :tenant AND i.status = 'pending' AND i.created_at >= :start AND i.created_at < :end"
        f"{scope.instance_filter('i')}"
    )
    counted = "SELECT " + ", ".join(
        f"count(*) FILTER (WHERE {_between(lo, hi)}) AS b{n}" for n, (_, lo, hi) in enumerate(BUCKETS)
    )
    row = (await fetch(session, f"{counted} FROM ({sql}) ages", scope.params()))[0]
    return [
        {"bucket": name, "min_seconds": lo, "max_seconds": hi, "count": row[f"b{n}"]}
        for n, (name, lo, hi) in enumerate(BUCKETS)
    ]


def _between(lo: int, hi: int | None) -> str:
    return f"age >= {lo}" + ("" if hi is None else f" AND age < {hi}")


async def bottlenecks(session: AsyncSession, scope: Scope) -> list[dict[str, Any]]:
    """Approvers by the total age of what waits on them, each with their 20 oldest waiting items: the instance, its
    record (and the record's number: REQ…, CHG…; none for another kind of record) and the step."""
    opened = (
        "(SELECT CAST(st->>'opened_at' AS timestamptz) FROM jsonb_array_elements(i.state->'steps') st"
        " WHERE st->>'name' = a.step_name LIMIT 1)"
    )
    sql = (
        "WITH w AS (SELECT a.user_id, i.id AS instance_id, i.record_type, i.record_id,"
        " COALESCE(sr.number, cr.number) AS record_number, i.title, a.step_name,"
        f" {EPOCH.format(f':now - COALESCE({opened}, i.created_at)')} AS age"
        " FROM approval_assignments a JOIN approval_instances i ON i.id = a.instance_id"
        " LEFT JOIN service_requests sr ON i.record_type = 'service_request' AND sr.id = i.record_id"
        " AND sr.tenant_id = :tenant"
        " LEFT JOIN change_requests cr ON i.record_type = 'change_request' AND cr.id = i.record_id"
        " AND cr.tenant_id = :tenant"
        " WHERE a.tenant_id = :tenant AND i.tenant_id = :tenant AND i.status = 'pending'"
        f" AND i.created_at >= :start AND i.created_at < :end{scope.instance_filter('i')})"
        " SELECT w.user_id AS approver_id, u.display_name AS approver_name, u.email AS approver_email,"
        " count(*) AS pending, max(w.age) AS oldest_age_seconds, sum(w.age) AS age_sum_seconds,"
        " (array_agg(jsonb_build_object('instance_id', w.instance_id, 'record_type', w.record_type,"
        " 'record_id', w.record_id, 'record_number', w.record_number, 'title', w.title, 'step_name', w.step_name,"
        " 'age_seconds', w.age)"
        " ORDER BY w.age DESC))[1\\:20] AS waiting"
        " FROM w JOIN users u ON u.id = w.user_id"
        " GROUP BY w.user_id, u.display_name, u.email ORDER BY sum(w.age) DESC, w.user_id LIMIT 50"
    )
    return await fetch(session, sql, scope.params())
