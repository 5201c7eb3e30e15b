"""Sweep registry entries for /api/insights (see tests/api/sweeps.py), and the insights routes the tests sweep.

The insights routes take no path ids (their ids are filters in the query string), so the cross-tenant 404 sweep has
nothing to create for them and the audit sweep nothing to check (they only read). What they must prove instead —
another tenant's ids give empty figures, another item's owner gets 403 — is in tests/api/test_insights.py, which
sweeps every route listed here (and checks that the list is every /api/insights route of the OpenAPI document).
"""

from __future__ import annotations

# path → figures of automation (need executions.read_all besides insights.read)
ROUTES: dict[str, bool] = {
    "/api/insights/approvals/time-to-decision": False,
    "/api/insights/approvals/outcomes": False,
    "/api/insights/approvals/pending-by-age": False,
    "/api/insights/approvals/bottlenecks": False,
    "/api/insights/fulfillment/by-item": False,
    "/api/insights/sla/compliance": False,
    "/api/insights/trends": False,
    "/api/insights/automation/executions": True,
    "/api/insights/automation/step-durations": True,
    "/api/insights/automation/failures": True,
    "/api/insights/automation/gate-waits": True,
}
FACTORIES: dict[str, object] = {}
