"""Known state for the /metrics tests, written straight into the tables with controlled times (ages in seconds)."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from tests.api.conftest import TenantContext


async def sql(t: TenantContext, statement: str, **params: Any) -> Any:
    async with t.database.transaction() as session:
        result = await session.execute(text(statement), {"tenant": t.id, **params})
        return result.scalar() if result.returns_rows else None


# When a seeded row finished: now, or just before today (UTC) began, outside the daily counters.
FINISHED = {"today": "now()", "yesterday": "date_trunc('day', now(), 'UTC') - interval '1 minute'", None: "NULL"}


async def approval_instance(
    t: TenantContext, *, age: float, status: str = "pending", finished: str | None = "today"
) -> None:
    definition = await sql(
        t,
        "INSERT INTO approval_definitions (id, tenant_id, name) "
        "VALUES (gen_random_uuid(), :tenant, 'd-' || gen_random_uuid()) RETURNING id",
    )
    await sql(
        t,
        "INSERT INTO approval_instances (id, tenant_id, definition_id, definition_version, record_type, record_id, "
        "requester_id, status, state, created_at, finished_at) "
        "VALUES (gen_random_uuid(), :tenant, :definition, 1, 'service_request', gen_random_uuid(), "
        ":admin, :status, '{}', "
        f"now() - make_interval(secs => :age), {FINISHED[finished if status != 'pending' else None]})",
        definition=definition,
        admin=t.admin.id,
        status=status,
        age=age,
    )


async def execution(t: TenantContext, *, status: str, finished: str | None = None) -> Any:
    return await sql(
        t,
        "INSERT INTO executions (id, tenant_id, kind, status, finished_at) "
        f"VALUES (gen_random_uuid(), :tenant, 'workflow', :status, {FINISHED[finished]}) RETURNING id",
        status=status,
    )


async def approval_gate(t: TenantContext, *, age: float, status: str = "pending") -> None:
    run = await execution(t, status="waiting")
    await sql(
        t,
        "INSERT INTO approval_gates (id, tenant_id, execution_id, step_id, attempt, status, approvers, eligible, "
        "min_approvals, created_at, decided_at) "
        "VALUES (gen_random_uuid(), :tenant, :run, 'approve', 1, :status, '[]', '[]', 1, "
        f"now() - make_interval(secs => :age), {FINISHED['today' if status != 'pending' else None]})",
        run=run,
        status=status,
        age=age,
    )


async def step_run(t: TenantContext, execution_id: Any, *, type_: str, seconds: float) -> None:
    await sql(
        t,
        "INSERT INTO step_runs (id, tenant_id, execution_id, position, name, type, status, started_at, finished_at) "
        "VALUES (gen_random_uuid(), :tenant, :run, 0, 's', :type, 'succeeded', "
        "now() - make_interval(secs => :seconds + 5), now() - make_interval(secs => 5))",
        run=execution_id,
        type=type_,
        seconds=seconds,
    )


async def job(t: TenantContext, *, queue: str, due_ago: float) -> None:
    await sql(
        t,
        "INSERT INTO jobs (tenant_id, kind, queue, run_at) VALUES (:tenant, 'metrics.test', :queue, "
        "now() - make_interval(secs => :ago))",
        queue=queue,
        ago=due_ago,
    )


async def worker(t: TenantContext, *, worker_id: str, queues: list[str], heartbeat_ago: float) -> None:
    await sql(
        t,
        "INSERT INTO workers (id, hostname, pid, queues, concurrency, heartbeat_at) VALUES (:id, 'h', 1, :queues, 4, "
        "now() - make_interval(secs => :ago))",
        id=worker_id,
        queues=queues,
        ago=heartbeat_ago,
    )


async def dead_delivery(t: TenantContext) -> None:
    await sql(
        t,
        "INSERT INTO notification_deliveries (id, tenant_id, channel_name, channel_type, destination, subject, body, "
        "status) VALUES (gen_random_uuid(), :tenant, 'mail', 'email', 'secret-recipient@example.com', "
        "'secret subject', 'b', 'dead')",
    )


async def breached_clock(t: TenantContext, *, announced: str = "today") -> None:
    await sql(
        t,
        "INSERT INTO sla_clocks (id, tenant_id, record_type, record_id, target, clock, minutes, state, started_at, "
        "warn_at, due_at, breached_at) VALUES (gen_random_uuid(), :tenant, 'service_request', gen_random_uuid(), "
        "'approval', 'wall', 1, "
        "'breached', now() - interval '2 minutes', now() - interval '90 seconds', now() - interval '1 minute', "
        f"{FINISHED[announced]})",
    )


def samples(body: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a Prometheus text document by (name, labels)."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


def label_values(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, label: str) -> set[str]:
    return {dict(labels)[label] for sample, labels in found if sample == name}
