"""Liveness and readiness endpoints (open, outside /api); /metrics is tenantplane.metrics' (docs/metrics.md).

/readyz is ready only when the database answers and its schema is at the migrations' head.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from tenantplane.kit.db import Database
from tenantplane.kit.errors import problem_response
from tenantplane.kit.migrate import current_revisions, head_revisions

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(request: Request) -> dict[str, Any] | Response:
    database: Database = request.app.state.db
    head = head_revisions()
    try:
        async with database.engine.connect() as conn:
            current = await conn.run_sync(current_revisions)
    except Exception as exc:  # any failure to reach the database means "not ready"
        return problem_response(
            request,
            status=503,
            problem_type="not-ready",
            title="Not ready",
            detail=f"The database is not reachable: {type(exc).__name__}",
        )
    if current != head:
        return problem_response(
            request,
            status=503,
            problem_type="not-ready",
            title="Not ready",
            detail=f"The schema is at {sorted(current)}, migrations are at {sorted(head)}: run tenantplane migrate.",
        )
    details: dict[str, Any] = {}
    for detail in getattr(request.app.state, "readiness_details", []):
        details |= await detail()  # what the process can do besides serving (e.g. run runbook scripts)
    return {"status": "ready", "database": "ok", "migration": ",".join(sorted(current)), **details}
