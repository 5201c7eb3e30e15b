"""What /api/insights answers: `{from, to, items: [row]}`, one row shape per route (the CSV has the same columns).

Durations are seconds; percentiles are PostgreSQL's percentile_cont (null when nothing was counted).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Row = TypeVar("Row", bound=BaseModel)


class InsightRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Report(BaseModel, Generic[Row]):
    model_config = ConfigDict(populate_by_name=True)

    start: datetime = Field(alias="from", serialization_alias="from")
    end: datetime = Field(alias="to", serialization_alias="to")
    items: list[Row]


class DecisionTimeRow(InsightRow):
    definition_id: uuid.UUID | None
    definition_name: str | None
    step_name: str | None
    approver_id: uuid.UUID | None
    approver_name: str | None
    count: int
    p50_seconds: float | None
    p90_seconds: float | None


class OutcomeRow(InsightRow):
    definition_id: uuid.UUID
    definition_name: str
    approved: int
    rejected: int
    cancelled: int
    total: int
    approval_rate: float | None
    rejection_rate: float | None


class PendingAgeRow(InsightRow):
    bucket: Literal["lt_1h", "1h_4h", "4h_24h", "1d_3d", "3d_7d", "gt_7d"]
    min_seconds: int
    max_seconds: int | None
    count: int


class WaitingRequest(InsightRow):
    instance_id: uuid.UUID
    record_type: str
    record_id: uuid.UUID
    record_number: str | None = Field(
        description="The request's or change's number (REQ0001234, CHG0000042); null for another kind of record"
    )
    title: str | None
    step_name: str
    age_seconds: float


class BottleneckRow(InsightRow):
    approver_id: uuid.UUID
    approver_name: str
    approver_email: str
    pending: int
    oldest_age_seconds: float
    age_sum_seconds: float
    waiting: list[WaitingRequest]


class FulfillmentRow(InsightRow):
    catalog_item_id: uuid.UUID
    catalog_item_name: str
    fulfilled: int
    failed: int
    lead_p50_seconds: float | None
    lead_p90_seconds: float | None
    fulfilment_p50_seconds: float | None
    fulfilment_p90_seconds: float | None


class SlaComplianceRow(InsightRow):
    catalog_item_id: uuid.UUID
    catalog_item_name: str
    month: str = Field(description="YYYY-MM (UTC)")
    # Not a closed list: SLA targets grow (main adds `approval_step`, whose rungs count together here).
    target: str = Field(description="approval, fulfilment, resolution (or any later SLA target)")
    met: int
    breached: int
    compliance: float | None


class ExecutionCountRow(InsightRow):
    workflow_id: uuid.UUID
    workflow_name: str
    status: str
    count: int


class StepDurationRow(InsightRow):
    workflow_id: uuid.UUID
    workflow_name: str
    step_id: str
    step_name: str
    count: int
    p50_seconds: float | None
    p90_seconds: float | None


class FailureRow(InsightRow):
    workflow_id: uuid.UUID
    workflow_name: str
    step_id: str
    step_name: str
    failures: int
    runs: int
    failure_rate: float
    last_failed_at: datetime | None
    last_reason: str | None


class GateWaitRow(InsightRow):
    workflow_id: uuid.UUID
    workflow_name: str
    step_id: str
    count: int
    pending: int
    approved: int
    rejected: int
    timed_out: int
    p50_seconds: float | None
    p90_seconds: float | None


class TrendRow(InsightRow):
    day: str = Field(description="YYYY-MM-DD (UTC)")
    approved: int
    rejected: int
    submitted: int
