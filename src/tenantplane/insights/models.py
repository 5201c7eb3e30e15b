"""The indexes the insights queries need, on tables other domains own (insights has no table of its own).

Each one serves a range filter of `queries_*.py`: instances finished in a range, requests closed in one, clocks
started in one (of every item, or of a service owner's items), gates opened in one. Defining them here keeps them
next to the queries that need them.
"""

from __future__ import annotations

from sqlalchemy import Index

from tenantplane.approvals.models import ApprovalInstance
from tenantplane.automation.runs.models import ApprovalGate
from tenantplane.itsm.models import ServiceRequest
from tenantplane.sla.models import SlaClock

INDEXES = (
    Index("ix_approval_instances_tenant_id_finished_at", ApprovalInstance.tenant_id, ApprovalInstance.finished_at),
    Index("ix_service_requests_tenant_id_closed_at", ServiceRequest.tenant_id, ServiceRequest.closed_at),
    Index("ix_sla_clocks_tenant_id_started_at", SlaClock.tenant_id, SlaClock.started_at),
    Index(
        "ix_sla_clocks_tenant_id_catalog_item_id_started_at",
        SlaClock.tenant_id,
        SlaClock.catalog_item_id,
        SlaClock.started_at,
    ),
    Index("ix_approval_gates_tenant_id_created_at", ApprovalGate.tenant_id, ApprovalGate.created_at),
)
