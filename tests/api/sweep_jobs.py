"""Sweep registry entries for the job routes (see tests/api/sweeps.py)."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import text

from tests.api.conftest import TenantContext
from tests.api.sweeps import Call, Factory, Ids, Setup


async def dead_job(t: TenantContext, c: httpx.AsyncClient) -> str:
    """A job of this tenant that has died, as an operator would find it."""
    async with t.database.transaction() as session:
        job_id = await session.scalar(
            text(
                "INSERT INTO jobs (tenant_id, kind, status, attempts, last_error) "
                "VALUES (:t, 'test.record', 'dead', 5, 'boom') RETURNING id"
            ),
            {"t": uuid.UUID(t.id)},
        )
    return str(job_id)


async def _dead_job_ids(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {"job": await dead_job(t, c)}


def _retry(c: httpx.AsyncClient, t: TenantContext, ids: Ids) -> object:
    return c.post(f"/api/jobs/{ids['job']}/retry", headers=t.admin.headers)


FACTORIES: dict[str, Factory] = {"job_id": dead_job}
AUDIT_SCENARIOS: dict[tuple[str, str], tuple[Setup, Call]] = {
    ("post", "/api/jobs/{job_id}/retry"): (_dead_job_ids, _retry),  # type: ignore[dict-item]
}
