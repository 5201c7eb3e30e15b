"""Operators see their tenant's jobs, retry dead ones, and see the worker registry."""

from __future__ import annotations

import httpx

from tests.api.conftest import TenantContext
from tests.api.sweep_jobs import dead_job


async def test_jobs_list_filters_and_retry_requeues_a_dead_job(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    job_id = await dead_job(tenant, client)
    listed = await client.get("/api/jobs", params={"status": "dead"}, headers=tenant.admin.headers)
    assert [j["id"] for j in listed.json()["items"]] == [job_id]
    assert listed.json()["items"][0]["last_error"] == "boom"
    none = await client.get("/api/jobs", params={"status": "queued"}, headers=tenant.admin.headers)
    assert none.json()["items"] == []
    retried = await client.post(f"/api/jobs/{job_id}/retry", headers=tenant.admin.headers)
    assert retried.status_code == 200
    assert retried.json()["status"] == "queued"
    assert retried.json()["attempts"] == 0
    again = await client.post(f"/api/jobs/{job_id}/retry", headers=tenant.admin.headers)
    assert again.status_code == 409


async def test_only_admins_retry_and_requesters_see_no_jobs(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    job_id = await dead_job(tenant, client)
    engineer = await tenant.user(roles=["automation_engineer"])
    requester = await tenant.user()
    assert (await client.get("/api/jobs", headers=engineer.headers)).status_code == 200
    assert (await client.post(f"/api/jobs/{job_id}/retry", headers=engineer.headers)).status_code == 403
    assert (await client.get("/api/jobs", headers=requester.headers)).status_code == 403
    assert (await client.get("/api/workers", headers=requester.headers)).status_code == 403


async def test_workers_endpoint_lists_registered_workers(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    from sqlalchemy import text

    async with tenant.database.transaction() as session:
        await session.execute(
            text("INSERT INTO workers (id, hostname, pid, queues, concurrency) VALUES ('w1', 'h', 1, '{default}', 4)")
        )
    workers = await client.get("/api/workers", headers=tenant.admin.headers)
    assert [w["id"] for w in workers.json()["items"]] == ["w1"]
