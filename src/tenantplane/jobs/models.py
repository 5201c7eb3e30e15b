"""Jobs and workers tables: the queue both workflow systems run on.

`attempts` doubles as the fencing token: a result is recorded only by the lease holder of that attempt.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenantplane.kit.db import Base

ACTIVE_STATUSES = ("queued", "running", "failed")
# `waiting`: held back by its tenant's limit on running runbooks (runbooks/slots.py) until a run of theirs ends.
JOB_STATUSES = ("queued", "running", "succeeded", "failed", "dead", "cancelled", "waiting")


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(f"status IN {JOB_STATUSES}", name="status"),
        # Claiming: due jobs of a queue, oldest first.
        Index("ix_jobs_claim", "queue", "run_at", postgresql_where=text("status IN ('queued', 'failed')")),
        # The fair claim: tenants with queued jobs (platform jobs as the nil UUID), and each one's due jobs in order.
        Index(
            "ix_jobs_fair_claim",
            text("COALESCE(tenant_id, CAST('00000000-0000-0000-0000-000000000000' AS uuid))"),
            "queue",
            "run_at",
            postgresql_where=text("status IN ('queued', 'failed')"),
        ),
        # Lease takeover: running jobs by lease expiry.
        Index("ix_jobs_lease", "lease_expires_at", postgresql_where=text("status = 'running'")),
        Index("ix_jobs_tenant_id_created_at", "tenant_id", "created_at", "id"),
        Index(
            "uq_jobs_dedupe_key_active",
            "dedupe_key",
            unique=True,
            postgresql_where=text("status IN ('queued', 'running', 'failed', 'waiting')"),
        ),
        # The held jobs of a tenant, oldest first: woken in this order when one of its runs ends.
        Index("ix_jobs_waiting", "tenant_id", "created_at", postgresql_where=text("status = 'waiting'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=func.gen_random_uuid())
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(200))
    queue: Mapped[str] = mapped_column(String(64), server_default="default")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    status: Mapped[str] = mapped_column(String(16), server_default="queued")
    run_at: Mapped[datetime] = mapped_column(server_default=func.now())
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    max_attempts: Mapped[int] = mapped_column(server_default=text("5"))
    backoff_seconds: Mapped[float] = mapped_column(server_default=text("2"))
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None]
    cancel_requested: Mapped[bool] = mapped_column(server_default=text("false"))
    last_error: Mapped[str | None] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class Worker(Base):
    """A worker process, recorded with a heartbeat so operators can see who is running what."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    queues: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    concurrency: Mapped[int]
    running: Mapped[int] = mapped_column(server_default=text("0"))
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    heartbeat_at: Mapped[datetime] = mapped_column(server_default=func.now())
    stopped_at: Mapped[datetime | None]
