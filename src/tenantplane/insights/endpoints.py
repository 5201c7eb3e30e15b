"""Insights HTTP API: /api/insights/... — decision analytics for service owners and admins (docs/insights.md).

Every route is a GET with the same filters (from, to, catalog_item_id, definition_id, workflow_id) and answers
`{from, to, items}` as JSON, or the items as CSV with `format=csv`.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AwareDatetime, BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.identity.auth import Principal, require
from tenantplane.identity.permissions import Permission
from tenantplane.insights import queries_approvals as approvals
from tenantplane.insights import queries_automation as automation
from tenantplane.insights import queries_requests as requests
from tenantplane.insights.csv import OPENAPI, csv_response
from tenantplane.insights.schemas import (
    BottleneckRow,
    DecisionTimeRow,
    ExecutionCountRow,
    FailureRow,
    FulfillmentRow,
    GateWaitRow,
    OutcomeRow,
    PendingAgeRow,
    Report,
    SlaComplianceRow,
    StepDurationRow,
    TrendRow,
)
from tenantplane.insights.scope import Filters, Scope, scope_for
from tenantplane.kit.db import SessionDep

router = APIRouter(prefix="/api/insights", tags=["insights"])
Reader = Annotated[Principal, Depends(require(Permission.INSIGHTS_READ))]
Format = Annotated[Literal["json", "csv"], Query(description="json (default) or csv")]
Query_ = Callable[[AsyncSession, Scope], Awaitable[list[dict[str, Any]]]]


def _filters(
    start: Annotated[AwareDatetime | None, Query(alias="from", description="Start (inclusive), ISO 8601")] = None,
    end: Annotated[AwareDatetime | None, Query(alias="to", description="End (exclusive), ISO 8601")] = None,
    catalog_item_id: uuid.UUID | None = None,
    definition_id: uuid.UUID | None = None,
    workflow_id: uuid.UUID | None = None,
) -> Filters:
    return Filters(
        start=start, end=end, catalog_item_id=catalog_item_id, definition_id=definition_id, workflow_id=workflow_id
    )


FiltersDep = Annotated[Filters, Depends(_filters)]


async def _answer(
    session: AsyncSession,
    principal: Principal,
    filters: Filters,
    fmt: str,
    model: type[BaseModel],
    name: str,
    query: Query_,
    *,
    automation_figures: bool = False,
) -> Any:
    scope = await scope_for(session, principal, filters, automation=automation_figures)
    rows = [model.model_validate(row) for row in await query(session, scope)]
    if fmt == "csv":
        return csv_response(rows, model, name)
    return Report[model](start=scope.start, end=scope.end, items=rows)  # type: ignore[valid-type]


@router.get("/approvals/time-to-decision", response_model=Report[DecisionTimeRow], responses=OPENAPI)
async def time_to_decision(
    principal: Reader,
    session: SessionDep,
    filters: FiltersDep,
    group_by: Literal["definition", "step", "approver"] = "definition",
    format: Format = "json",
) -> Response:
    """Time to decision p50/p90 and count per definition, step or approver."""
    return await _answer(  # type: ignore[no-any-return]
        session,
        principal,
        filters,
        format,
        DecisionTimeRow,
        f"time-to-decision-by-{group_by}",
        lambda s, scope: approvals.time_to_decision(s, scope, group_by),
    )


def _route(path: str, model: type[BaseModel], query: Query_, doc: str, *, automation_figures: bool = False) -> None:
    name = path.strip("/").replace("/", "-")

    async def route(principal: Reader, session: SessionDep, filters: FiltersDep, format: Format = "json") -> Any:
        return await _answer(
            session, principal, filters, format, model, name, query, automation_figures=automation_figures
        )

    route.__doc__ = doc
    route.__name__ = name.replace("-", "_")
    router.get(path, response_model=Report[model], responses=OPENAPI, name=route.__name__)(route)  # type: ignore[valid-type]


_route("/approvals/outcomes", OutcomeRow, approvals.outcomes, "Approved, rejected, cancelled per definition.")
_route("/approvals/pending-by-age", PendingAgeRow, approvals.pending_by_age, "Pending instances by age bucket.")
_route("/approvals/bottlenecks", BottleneckRow, approvals.bottlenecks, "Approvers by pending x age, with the waits.")
_route("/fulfillment/by-item", FulfillmentRow, requests.fulfillment_by_item, "Fulfilment time per catalog item.")
_route("/sla/compliance", SlaComplianceRow, requests.sla_compliance, "SLA met/breached per item, month, target.")
_route("/trends", TrendRow, requests.trends, "Decisions and submitted requests per day.")
_route(
    "/automation/executions",
    ExecutionCountRow,
    automation.executions,
    "Workflow executions per workflow and status.",
    automation_figures=True,
)
_route(
    "/automation/step-durations",
    StepDurationRow,
    automation.step_durations,
    "Workflow step durations p50/p90.",
    automation_figures=True,
)
_route(
    "/automation/failures",
    FailureRow,
    automation.failures,
    "Steps that failed or timed out, most first.",
    automation_figures=True,
)
_route(
    "/automation/gate-waits",
    GateWaitRow,
    automation.gate_waits,
    "Approval gate waits per workflow step.",
    automation_figures=True,
)
