"""/metrics: the state figures read from the database (known state in, the same figures out), bounded label sets,
nothing of a tenant's data beyond the top tenants' slugs, the optional bearer token and the per-process cache."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tenantplane.app import create_app
from tenantplane.settings import Settings
from tests.api import metrics_helpers as seed
from tests.api.conftest import TenantContext, TenantFactory
from tests.api.metrics_helpers import label_values, samples, value


@asynccontextmanager
async def scraper(settings: Settings, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update=changes))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield client


async def test_metrics_report_the_state_seeded_in_the_database(
    client: httpx.AsyncClient, make_tenant: TenantFactory
) -> None:
    a, b = await make_tenant("metrics-a"), await make_tenant("metrics-b")
    await seed.approval_instance(a, age=600)
    await seed.approval_instance(a, age=30)
    await seed.approval_gate(a, age=120)
    await seed.approval_instance(b, age=60)
    await seed.approval_instance(b, age=5000, status="approved")
    await seed.approval_instance(b, age=90_000, status="approved", finished="yesterday")
    await seed.approval_gate(b, age=70, status="rejected")
    await seed.worker(a, worker_id="w-live", queues=["default", "bulk"], heartbeat_ago=3)
    await seed.job(a, queue="bulk", due_ago=90)
    await seed.job(b, queue="bulk", due_ago=10)
    await seed.job(b, queue="default", due_ago=-600)  # a timer, due in ten minutes
    await seed.dead_delivery(a)
    await seed.breached_clock(b)
    await seed.breached_clock(b, announced="yesterday")
    finished = await seed.execution(a, status="succeeded", finished="today")
    await seed.step_run(a, finished, type_="delay", seconds=2)
    await seed.step_run(a, finished, type_="delay", seconds=100)
    await seed.execution(b, status="failed", finished="yesterday")  # before the daily counters began

    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    found = samples(response.text)

    assert value(found, "tenantplane_metrics_database_up") == 1
    assert value(found, "tenantplane_approvals_pending", tenant="metrics-a", kind="itsm") == 2
    assert value(found, "tenantplane_approvals_pending", tenant="metrics-a", kind="automation") == 1
    assert value(found, "tenantplane_approvals_pending", tenant="metrics-b", kind="itsm") == 1
    assert value(found, "tenantplane_approvals_pending", tenant="metrics-b", kind="automation") is None
    age_a = value(found, "tenantplane_approvals_pending_oldest_age_seconds", tenant="metrics-a", kind="itsm")
    age_b = value(found, "tenantplane_approvals_pending_oldest_age_seconds", tenant="metrics-b", kind="itsm")
    assert age_a is not None
    assert 600 <= age_a < 660
    assert age_b is not None
    assert 60 <= age_b < 120
    assert value(found, "tenantplane_approval_decisions_total", kind="itsm", outcome="approved") == 1
    assert value(found, "tenantplane_approval_decisions_total", kind="automation", outcome="rejected") == 1
    assert value(found, "tenantplane_approval_decisions_total", kind="itsm", outcome="rejected") == 0
    assert value(found, "tenantplane_sla_breaches_total", target="approval") == 1
    assert value(found, "tenantplane_sla_breaches_total", target="resolution") == 0
    # The two gates' executions wait; one execution finished today, the other yesterday.
    assert value(found, "tenantplane_executions_active", kind="workflow", status="waiting") == 2
    assert value(found, "tenantplane_executions_finished_total", kind="workflow", status="succeeded") == 1
    assert value(found, "tenantplane_executions_finished_total", kind="workflow", status="failed") == 0
    bucket = "tenantplane_step_run_duration_seconds_bucket"
    assert value(found, bucket, kind="workflow", type="delay", le="1.0") == 0
    assert value(found, bucket, kind="workflow", type="delay", le="5.0") == 1
    assert value(found, bucket, kind="workflow", type="delay", le="300.0") == 2
    assert value(found, bucket, kind="workflow", type="delay", le="+Inf") == 2
    assert value(found, "tenantplane_step_run_duration_seconds_gsum", kind="workflow", type="delay") == 102
    assert value(found, "tenantplane_job_queue_depth", queue="bulk") == 2
    assert value(found, "tenantplane_job_queue_depth", queue="default") == 0
    assert value(found, "tenantplane_jobs_scheduled", queue="default") == 1
    oldest = value(found, "tenantplane_job_queue_oldest_age_seconds", queue="bulk")
    assert oldest is not None
    assert 90 <= oldest < 150
    heartbeat = value(found, "tenantplane_worker_heartbeat_age_seconds", worker="w-live")
    assert heartbeat is not None
    assert 3 <= heartbeat < 60
    assert value(found, "tenantplane_workers_alive") == 1
    assert value(found, "tenantplane_notification_deliveries_unsent", channel_type="email", status="dead") == 1
    assert value(found, "tenantplane_notification_deliveries_unsent", channel_type="teams", status="dead") == 0


async def test_tenants_beyond_the_top_n_add_up_under_other_and_nothing_else_of_theirs_shows(
    settings: Settings, make_tenant: TenantFactory
) -> None:
    tenants: list[TenantContext] = [await make_tenant(f"metrics-{n}") for n in range(4)]
    for n, t in enumerate(tenants):  # metrics-3 has the most pending approvals, metrics-0 the oldest
        for _ in range(n + 1):
            await seed.approval_instance(t, age=1000 - 100 * n)
    await seed.job(tenants[0], queue="tenant-made-queue", due_ago=30)  # a runbook's queue no worker serves
    await seed.dead_delivery(tenants[0])

    async with scraper(settings, metrics_top_tenants=2) as client:
        body = (await client.get("/metrics")).text
    found = samples(body)

    pending = "tenantplane_approvals_pending"
    assert label_values(found, pending, "tenant") == {"metrics-3", "metrics-2", "_other"}
    assert value(found, pending, tenant="_other", kind="itsm") == 1 + 2
    oldest = "tenantplane_approvals_pending_oldest_age_seconds"
    assert label_values(found, oldest, "tenant") == {"metrics-0", "metrics-1", "_other"}
    other_age = value(found, oldest, tenant="_other", kind="itsm")
    assert other_age is not None
    assert 800 <= other_age < 860  # the oldest of metrics-2 and metrics-3
    assert label_values(found, "tenantplane_job_queue_depth", "queue") == {"default", "_other"}
    assert value(found, "tenantplane_job_queue_depth", queue="_other") == 1
    for t in tenants:
        assert t.id not in body
    for private in ("tenant-made-queue", "secret-recipient", "secret subject", tenants[0].admin.email):
        assert private not in body


async def test_a_metrics_token_is_needed_when_one_is_set(settings: Settings) -> None:
    async with scraper(settings, metrics_token="s3cret-scrape-token") as client:
        anonymous = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"})
    assert anonymous.status_code == wrong.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert "tenantplane_approvals_pending" not in anonymous.text + wrong.text
    assert right.status_code == 200
    assert value(samples(right.text), "tenantplane_metrics_database_up") == 1


async def test_without_a_token_metrics_are_open(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert "tenantplane_job_queue_depth" in response.text


async def test_figures_are_cached_per_process_for_the_configured_time(
    settings: Settings, tenant: TenantContext
) -> None:
    async with (
        scraper(settings, metrics_cache_seconds=3600) as cached,
        scraper(settings, metrics_cache_seconds=0) as live,
    ):
        before = [samples((await c.get("/metrics")).text) for c in (cached, live)]
        await seed.approval_instance(tenant, age=10)
        after = [samples((await c.get("/metrics")).text) for c in (cached, live)]
    name = "tenantplane_approvals_pending"
    assert [value(f, name, tenant=tenant.slug, kind="itsm") for f in before] == [None, None]
    assert [value(f, name, tenant=tenant.slug, kind="itsm") for f in after] == [None, 1]


async def test_without_the_database_the_process_metrics_still_answer_and_say_so(settings: Settings) -> None:
    async with scraper(settings, database_url="postgresql://postgres@127.0.0.1:1/nowhere") as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    found = samples(response.text)
    assert value(found, "tenantplane_metrics_database_up") == 0
    assert "tenantplane_job_queue_depth" not in response.text
