"""The figures of a scrape as Prometheus metric families, every label set bounded.

Tenants are named only among the top N by each figure (the rest add up under `_other`); queues only when the
operator's workers serve them; statuses, kinds and targets are the fixed values of their columns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeHistogramMetricFamily, GaugeMetricFamily, Metric

from tenantplane.automation.engine.graph import STEP_TYPES
from tenantplane.executions.models import EXECUTION_KINDS, EXECUTION_STATUSES
from tenantplane.metrics.figures import DURATION_BUCKETS, Figures
from tenantplane.notifications.models import CHANNEL_TYPES
from tenantplane.runbooks.actions import CORE_TYPES
from tenantplane.sla.models import TARGETS

OTHER = "_other"
DEFAULT_QUEUE = "default"
# Every step type a step run can have that names no tenant's data (built-in actions are named by code, but are
# many and grow: they count as `other`).
KNOWN_STEP_TYPES = frozenset(STEP_TYPES | CORE_TYPES)
ACTIVE_STATUSES = ("queued", "running", "waiting")
FINISHED_STATUSES = tuple(s for s in EXECUTION_STATUSES if s not in ACTIVE_STATUSES)


def top_n(
    rows: Iterable[tuple[str, str, float]], *, n: int, combine: Callable[[Iterable[float]], float]
) -> list[tuple[str, str, float]]:
    """(name, kind, value) rows with only the top `n` names by `combine` of their values kept; the others are
    combined per kind under `_other`. Ties go to the name first in order, so a scrape is deterministic."""
    rows = list(rows)
    score: dict[str, list[float]] = defaultdict(list)
    for name, _, value in rows:
        score[name].append(value)
    ranked = sorted(score, key=lambda name: (-combine(score[name]), name))
    kept = set(ranked[:n])
    others: dict[str, list[float]] = defaultdict(list)
    out = []
    for name, kind, value in rows:
        if name in kept:
            out.append((name, kind, value))
        else:
            others[kind].append(value)
    out.extend((OTHER, kind, combine(values)) for kind, values in sorted(others.items()))
    return sorted(out)


def _approvals(figures: Figures, n: int) -> Iterator[Metric]:
    pending = GaugeMetricFamily(
        "tenantplane_approvals_pending",
        "Open approvals: ITSM approval instances (kind=itsm) and automation approval gates (kind=automation)",
        labels=["tenant", "kind"],
    )
    oldest = GaugeMetricFamily(
        "tenantplane_approvals_pending_oldest_age_seconds",
        "Seconds since the oldest open approval was opened",
        labels=["tenant", "kind"],
    )
    for tenant, kind, count in top_n(((p.tenant, p.kind, p.open) for p in figures.pending), n=n, combine=sum):
        pending.add_metric([tenant, kind], count)
    for tenant, kind, age in top_n(((p.tenant, p.kind, p.oldest_age) for p in figures.pending), n=n, combine=max):
        oldest.add_metric([tenant, kind], age)
    decisions = CounterMetricFamily(
        "tenantplane_approval_decisions",
        "Approvals decided since midnight UTC (resets daily): ITSM instances approved or rejected, automation gates "
        "approved, rejected or timed out",
        labels=["kind", "outcome"],
    )
    counted = {(kind, outcome): count for kind, outcome, count in figures.decisions}
    for kind, outcomes in (("itsm", ("approved", "rejected")), ("automation", ("approved", "rejected", "timed_out"))):
        for outcome in outcomes:
            decisions.add_metric([kind, outcome], counted.get((kind, outcome), 0))
    yield from (pending, oldest, decisions)


def _sla(figures: Figures) -> Iterator[Metric]:
    breaches = CounterMetricFamily(
        "tenantplane_sla_breaches", "SLA breaches announced since midnight UTC (resets daily)", labels=["target"]
    )
    counted = dict(figures.breaches)
    for target in TARGETS:
        breaches.add_metric([target], counted.get(target, 0))
    yield breaches


def _executions(figures: Figures, window: float) -> Iterator[Metric]:
    active = GaugeMetricFamily(
        "tenantplane_executions_active", "Executions queued, running or waiting", labels=["kind", "status"]
    )
    finished = CounterMetricFamily(
        "tenantplane_executions_finished",
        "Executions finished since midnight UTC (resets daily), by outcome",
        labels=["kind", "status"],
    )
    family: GaugeMetricFamily | CounterMetricFamily
    for family, statuses, rows in (
        (active, ACTIVE_STATUSES, figures.executions_active),
        (finished, FINISHED_STATUSES, figures.executions_finished),
    ):
        counted = {(kind, status): count for kind, status, count in rows}
        for kind in EXECUTION_KINDS:
            for status in statuses:
                family.add_metric([kind, status], counted.get((kind, status), 0))
        yield family
    durations = GaugeHistogramMetricFamily(
        "tenantplane_step_run_duration_seconds",
        f"Durations of the step runs that finished within the last {window:g} seconds",
        labels=["kind", "type"],
    )
    merged: dict[tuple[str, str], list[float]] = {}
    for row in figures.step_durations:
        key = (row.kind, row.type if row.type in KNOWN_STEP_TYPES else "other")
        into = merged.setdefault(key, [0.0] * (len(DURATION_BUCKETS) + 2))
        for i, value in enumerate((row.runs, row.total, *row.cumulative)):
            into[i] += value
    for (kind, type_), (count, total, *cumulative) in sorted(merged.items()):
        buckets = [(str(float(bound)), value) for bound, value in zip(DURATION_BUCKETS, cumulative, strict=True)]
        durations.add_metric([kind, type_], [*buckets, ("+Inf", count)], gsum_value=total)
    yield durations


def _queues(figures: Figures, lease_seconds: float, n: int) -> Iterator[Metric]:
    served = {DEFAULT_QUEUE} | {queue for worker in figures.workers for queue in worker.queues}
    depth = GaugeMetricFamily(
        "tenantplane_job_queue_depth", "Jobs due now and waiting for a worker (queued or retrying)", labels=["queue"]
    )
    oldest = GaugeMetricFamily(
        "tenantplane_job_queue_oldest_age_seconds",
        "Seconds the oldest due job has waited since it became due",
        labels=["queue"],
    )
    scheduled = GaugeMetricFamily(
        "tenantplane_jobs_scheduled", "Jobs due later (timers, retries in backoff)", labels=["queue"]
    )
    running = GaugeMetricFamily("tenantplane_jobs_running", "Jobs running now", labels=["queue"])
    held = GaugeMetricFamily(
        "tenantplane_jobs_held", "Jobs held back by their tenant's limit on running runbooks", labels=["queue"]
    )
    by_queue: dict[str, list[float]] = {name: [0, 0.0, 0, 0, 0] for name in served}
    for row in figures.queues:
        into = by_queue.setdefault(row.queue if row.queue in served else OTHER, [0, 0.0, 0, 0, 0])
        into[0] += row.due
        into[1] = max(into[1], row.oldest_due_age)
        into[2] += row.scheduled
        into[3] += row.running
        into[4] += row.held
    for queue, (due, age, later, now_running, waiting) in sorted(by_queue.items()):
        depth.add_metric([queue], due)
        oldest.add_metric([queue], age)
        scheduled.add_metric([queue], later)
        running.add_metric([queue], now_running)
        held.add_metric([queue], waiting)
    yield from (depth, oldest, scheduled, running, held)
    ages = GaugeMetricFamily(
        "tenantplane_worker_heartbeat_age_seconds",
        "Seconds since each worker's last heartbeat (workers not stopped that beat within the window)",
        labels=["worker"],
    )
    for worker, _, age in top_n(((w.worker, "", w.age) for w in figures.workers), n=n, combine=max):
        ages.add_metric([worker], age)
    alive = GaugeMetricFamily(
        "tenantplane_workers_alive", f"Workers whose last heartbeat is at most {lease_seconds:g} seconds old"
    )
    alive.add_metric([], sum(1 for w in figures.workers if w.age <= lease_seconds))
    yield from (ages, alive)


def _deliveries(figures: Figures) -> Iterator[Metric]:
    deliveries = GaugeMetricFamily(
        "tenantplane_notification_deliveries_unsent",
        "Notification deliveries not sent: queued, failed (retrying) or dead (gave up; kept until retried or purged)",
        labels=["channel_type", "status"],
    )
    counted = {(channel, status): count for channel, status, count in figures.deliveries}
    for channel in CHANNEL_TYPES:
        for status in ("queued", "failed", "dead"):
            deliveries.add_metric([channel, status], counted.get((channel, status), 0))
    yield deliveries


def metric_families(figures: Figures, *, top_tenants: int, window_seconds: float, lease_seconds: float) -> list[Metric]:
    return [
        *_approvals(figures, top_tenants),
        *_sla(figures),
        *_executions(figures, window_seconds),
        *_queues(figures, lease_seconds, top_tenants),
        *_deliveries(figures),
    ]
