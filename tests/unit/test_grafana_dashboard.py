"""docs/grafana/tenantplane.json: a Grafana dashboard whose every query names only metrics /metrics exports, so the
dashboard cannot drift from the exporter (a renamed metric fails here, not on an operator's screen)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY
from prometheus_client.core import Metric

import tenantplane.kit.observability  # noqa: F401 - registers the HTTP metrics every process exports
from tenantplane.metrics.endpoints import state_health_families
from tenantplane.metrics.families import metric_families
from tenantplane.metrics.figures import Figures

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "tenantplane.json"
METRIC_NAME = re.compile(r"\btenantplane_[a-z0-9_]+")
# A range selector belongs right after a metric selector (`name[5m]`, `name{...}[5m]`), never after a parenthesis.
RANGE_AFTER_PARENTHESIS = re.compile(r"\)\s*\[\d+[smhdw]\]")
SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count"),
    "gaugehistogram": ("_bucket", "_gsum", "_gcount"),
}
EMPTY = Figures(
    pending=[],
    decisions=[],
    breaches=[],
    executions_active=[],
    executions_finished=[],
    step_durations=[],
    queues=[],
    workers=[],
    deliveries=[],
)


def _exported(families: list[Metric]) -> set[str]:
    return {family.name + suffix for family in families for suffix in SUFFIXES.get(family.type, ("",))}


def _queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    return [(panel["title"], target["expr"]) for panel in panels for target in panel["targets"]]


def test_the_dashboard_is_a_grafana_dashboard_of_prometheus_queries() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "tenantplane"
    assert dashboard["schemaVersion"] >= 36
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert {"x", "y", "w", "h"} <= panel["gridPos"].keys()
        if panel["type"] != "row":
            assert panel["datasource"]["type"] == "prometheus"
            assert [t["refId"] for t in panel["targets"]] == sorted({t["refId"] for t in panel["targets"]})
    queries = _queries(dashboard)
    assert len(queries) > 15
    for title, expr in queries:
        assert expr.count("(") == expr.count(")"), title
        assert not RANGE_AFTER_PARENTHESIS.search(expr), f"{title}: a range of an expression needs a subquery"


def test_every_metric_the_dashboard_queries_is_one_metrics_exports() -> None:
    families = metric_families(EMPTY, top_tenants=50, window_seconds=3600, lease_seconds=30)
    exported = _exported([*families, *state_health_families(), *REGISTRY.collect()])
    used = {name for _, expr in _queries(json.loads(DASHBOARD.read_text())) for name in METRIC_NAME.findall(expr)}
    assert len(used) > 15
    assert sorted(used - exported) == []


def test_the_check_would_see_a_metric_that_is_not_exported() -> None:
    exported = _exported(metric_families(EMPTY, top_tenants=50, window_seconds=3600, lease_seconds=30))
    assert "tenantplane_job_queue_depth" in exported
    assert "tenantplane_approval_decisions_total" in exported
    assert "tenantplane_step_run_duration_seconds_gsum" in exported
    assert "tenantplane_approval_decisions" not in exported  # a counter is only ever read with its _total
