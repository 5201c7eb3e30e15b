"""Service request figures: fulfilment time per catalog item, SLA compliance per item and month, daily trends.

Each reads its table through an index on its range column: service_requests.closed_at (fulfilment) and created_at
(trends), sla_clocks.started_at (compliance: a clock carries its request's catalog item); the scope's items filter
the requests (or the clocks).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.insights.queries_approvals import EPOCH, decisions_sql, fetch
from tenantplane.insights.scope import Scope


async def fulfillment_by_item(session: AsyncSession, scope: Scope) -> list[dict[str, Any]]:
    fulfilled = "sr.status = 'fulfilled'"
    lead = EPOCH.format("sr.closed_at - sr.created_at")
    work = EPOCH.format("sr.closed_at - COALESCE(ai.finished_at, sr.created_at)")
    sql = (
        "SELECT sr.catalog_item_id, ci.name AS catalog_item_name,"
        f" count(*) FILTER (WHERE {fulfilled}) AS fulfilled,"
        " count(*) FILTER (WHERE sr.status = 'fulfillment_failed') AS failed,"
        f" percentile_cont(0.5) WITHIN GROUP (ORDER BY {lead}) FILTER (WHERE {fulfilled}) AS lead_p50_seconds,"
        f" percentile_cont(0.9) WITHIN GROUP (ORDER BY {lead}) FILTER (WHERE {fulfilled}) AS lead_p90_seconds,"
        f" percentile_cont(0.5) WITHIN GROUP (ORDER BY {work}) FILTER (WHERE {fulfilled}) AS fulfilment_p50_seconds,"
        f" percentile_cont(0.9) WITHIN GROUP (ORDER BY {work}) FILTER (WHERE {fulfilled}) AS fulfilment_p90_seconds"
        " FROM service_requests sr JOIN catalog_items ci ON ci.id = sr.catalog_item_id"
        " LEFT JOIN approval_instances ai ON ai.id = sr.approval_instance_id"
        " WHERE sr.tenant_id = :tenant AND sr.closed_at >= :start AND sr.closed_at < :end"
        f" AND sr.status IN ('fulfilled', 'fulfillment_failed'){scope.request_filter('sr')}"
        " GROUP BY sr.catalog_item_id, ci.name ORDER BY ci.name, sr.catalog_item_id"
    )
    return await fetch(session, sql, scope.params())


async def sla_compliance(session: AsyncSession, scope: Scope) -> list[dict[str, Any]]:
    """Met and breached clocks per item, month (of their start) and target. A clock carries its request's item, so
    only the clocks started in range are read (by (tenant, started_at), or (tenant, item, started_at) for a service
    owner's items), never the requests."""
    month = "to_char(c.started_at AT TIME ZONE 'UTC', 'YYYY-MM')"
    sql = (
        f"SELECT c.catalog_item_id, ci.name AS catalog_item_name, {month} AS month, c.target,"
        " count(*) FILTER (WHERE c.state = 'met') AS met, count(*) FILTER (WHERE c.state = 'breached') AS breached"
        " FROM sla_clocks c JOIN catalog_items ci ON ci.id = c.catalog_item_id"
        " WHERE c.tenant_id = :tenant AND c.record_type = 'service_request' AND c.state IN ('met', 'breached')"
        f" AND c.started_at >= :start AND c.started_at < :end{scope.request_filter('c')}"
        f" GROUP BY c.catalog_item_id, ci.name, {month}, c.target ORDER BY ci.name, c.catalog_item_id, 3, c.target"
    )
    rows = await fetch(session, sql, scope.params())
    for row in rows:
        counted = row["met"] + row["breached"]
        row["compliance"] = row["met"] / counted if counted else None
    return rows


async def trends(session: AsyncSession, scope: Scope) -> list[dict[str, Any]]:
    day = "date_trunc('day', {} AT TIME ZONE 'UTC')"
    sql = (
        f"WITH d AS ({decisions_sql(scope)}),"
        f" decided AS (SELECT {day.format('d.at')} AS day, count(*) FILTER (WHERE d.outcome = 'approved') AS approved,"
        " count(*) FILTER (WHERE d.outcome = 'rejected') AS rejected FROM d GROUP BY 1),"
        f" submitted AS (SELECT {day.format('sr.created_at')} AS day, count(*) AS submitted FROM service_requests sr"
        " WHERE sr.tenant_id = :tenant AND sr.created_at >= :start AND sr.created_at < :end"
        f"{scope.request_filter('sr')} GROUP BY 1),"
        f" days AS (SELECT generate_series({day.format('CAST(:start AS timestamptz)')},"
        " CAST(:end AS timestamptz) AT TIME ZONE 'UTC' - interval '1 microsecond', interval '1 day') AS day)"
        " SELECT to_char(days.day, 'YYYY-MM-DD') AS day, COALESCE(decided.approved, 0) AS approved,"
        " COALESCE(decided.rejected, 0) AS rejected, COALESCE(submitted.submitted, 0) AS submitted"
        " FROM days LEFT JOIN decided ON decided.day = days.day LEFT JOIN submitted ON submitted.day = days.day"
        " ORDER BY days.day"
    )
    return await fetch(session, sql, scope.params())
