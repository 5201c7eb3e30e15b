"""Operators' view of the queue: GET /api/jobs (filters), POST /api/jobs/{id}/retry, GET /api/workers.

Jobs are tenant-scoped; workers are shared infrastructure and show no tenant data.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from tenantplane.audit.service import record_event
from tenantplane.identity.auth import Principal, require
from tenantplane.identity.permissions import Permission
from tenantplane.jobs import service
from tenantplane.jobs.models import Job, Worker
from tenantplane.kit.db import SessionDep
from tenantplane.kit.errors import Conflict, NotFound
from tenantplane.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, paginate
from tenantplane.kit.schemas import Page, ReadSchema

router = APIRouter(tags=["jobs"])
Reader = Annotated[Principal, Depends(require(Permission.JOBS_READ))]
Manager = Annotated[Principal, Depends(require(Permission.JOBS_MANAGE))]
RETRYABLE = ("dead", "failed", "cancelled")


class JobRead(ReadSchema):
    id: uuid.UUID
    kind: str
    queue: str
    status: str
    payload: dict[str, Any]
    run_at: datetime
    attempts: int
    max_attempts: int
    last_error: str | None
    lease_owner: str | None
    lease_expires_at: datetime | None
    dedupe_key: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class WorkerRead(ReadSchema):
    id: str
    hostname: str
    pid: int
    queues: list[str]
    concurrency: int
    running: int
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None


@router.get("/api/jobs", response_model=Page[JobRead])
async def list_jobs(
    principal: Reader,
    session: SessionDep,
    status: str | None = None,
    kind: str | None = None,
    queue: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[JobRead]:
    stmt = select(Job).where(Job.tenant_id == principal.tenant)
    if status:
        stmt = stmt.where(Job.status == status)
    if kind:
        stmt = stmt.where(Job.kind == kind)
    if queue:
        stmt = stmt.where(Job.queue == queue)
    rows, next_cursor = await paginate(
        session, stmt, created_col=Job.created_at, id_col=Job.id, cursor=cursor, limit=limit
    )
    return Page(items=[JobRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/api/jobs/{job_id}", response_model=JobRead)
async def read_job(job_id: uuid.UUID, principal: Reader, session: SessionDep) -> JobRead:
    job = await session.scalar(select(Job).where(Job.id == job_id, Job.tenant_id == principal.tenant))
    if job is None:
        raise NotFound(f"No job {job_id} in this tenant.")
    return JobRead.model_validate(job)


@router.post("/api/jobs/{job_id}/retry", response_model=JobRead)
async def retry_job(job_id: uuid.UUID, principal: Manager, session: SessionDep) -> JobRead:
    """Run a dead, failed or cancelled job again now, with a fresh set of attempts."""
    job = await session.scalar(select(Job).where(Job.id == job_id, Job.tenant_id == principal.tenant).with_for_update())
    if job is None:
        raise NotFound(f"No job {job_id} in this tenant.")
    if job.status not in RETRYABLE:
        raise Conflict(f"Only {', '.join(RETRYABLE)} jobs can be retried; this one is {job.status}.")
    await service.retry(session, job)
    await session.refresh(job)
    await record_event(
        session,
        actor=principal,
        action="job.retried",
        object_type="job",
        object_id=job.id,
        summary={"kind": job.kind, "previous_error": job.last_error},
    )
    return JobRead.model_validate(job)


@router.get("/api/workers", response_model=Page[WorkerRead])
async def list_workers(
    principal: Reader,
    session: SessionDep,
    include_stopped: bool = False,
) -> Page[WorkerRead]:
    stmt = select(Worker).order_by(Worker.started_at.desc()).limit(MAX_LIMIT)
    if not include_stopped:
        stmt = stmt.where(Worker.stopped_at.is_(None))
    rows = (await session.scalars(stmt)).all()
    return Page(items=[WorkerRead.model_validate(r) for r in rows], next_cursor=None)
