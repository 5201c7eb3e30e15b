"""ORM models of service levels: business calendars, SLA policies and the clocks each request or change carries.

A clock belongs to one record (by type and id, which ITSM owns) and one target; its due and warning times are
fixed when it starts.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenantplane.kit.db import Base, TenantOwned

TARGETS = ("approval", "approval_step", "fulfilment", "resolution")
CLOCK_STATES = ("running", "paused", "met", "breached", "cancelled")


class BusinessCalendar(TenantOwned, Base):
    """Working hours per weekday in one IANA time zone (`{"mon": [["09:00", "17:00"]]}`), and closed dates."""

    __tablename__ = "business_calendars"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64))
    working_hours: Mapped[dict[str, list[list[str]]]] = mapped_column(JSONB)
    holidays: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")


class SlaPolicy(TenantOwned, Base):
    """Named targets (`[{"target": "approval", "minutes": 120, "clock": "business"}]`, one rung of the ladder:
    `{"target": "approval_step", "step": 0, ...}`) with a warning threshold.

    Catalog items name their policy; changes take the policy that lists their type in `change_types`.
    """

    __tablename__ = "sla_policies"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        CheckConstraint("warn_percent BETWEEN 1 AND 100", name="warn_percent"),
    )

    name: Mapped[str] = mapped_column(String(200))
    calendar_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("business_calendars.id", ondelete="RESTRICT"))
    targets: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    warn_percent: Mapped[int] = mapped_column(server_default=text("80"))
    change_types: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    # Fulfilment and resolution clocks stop counting while a request awaits its requester.
    pause_on_requester: Mapped[bool] = mapped_column(server_default=text("false"))


class SlaClock(TenantOwned, Base):
    """One target of one record: when it started, is due and warns; whether it was met, breached or cancelled.

    An `approval_step` clock times one rung of the approval ladder (`step`, 0-based: the n-th distinct step order),
    from its opening to its decision. `warned_at` and `breached_at` say the warning and the breach were announced
    (each exactly once, by the timer jobs); a clock stopped late is `breached` at once and announced by its breach
    job. `stopped_at` is when the record left the target's span (approved, fulfilled, resolved, cancelled).
    `catalog_item_id` is the item of a service request's clock (copied when it starts; a request keeps its item),
    NULL for a change's: SLA compliance per item and month reads the clocks alone (insights/queries_requests.py).
    """

    __tablename__ = "sla_clocks"
    __table_args__ = (
        UniqueConstraint("record_id", "target", "step"),
        CheckConstraint(f"target IN {TARGETS}", name="target"),
        CheckConstraint(f"state IN {CLOCK_STATES}", name="state"),
        CheckConstraint("clock IN ('business', 'wall')", name="clock"),
        # Breaches of the day, counted on every /metrics scrape (metrics/figures.py).
        Index("ix_sla_clocks_breached_at", "breached_at", "target", postgresql_where=text("breached_at IS NOT NULL")),
    )

    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[uuid.UUID]
    catalog_item_id: Mapped[uuid.UUID | None]  # no foreign key, as record_id: ITSM owns catalog items
    policy_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sla_policies.id", ondelete="SET NULL"))
    target: Mapped[str] = mapped_column(String(16))
    step: Mapped[int] = mapped_column(server_default=text("0"))  # the ladder rung of an approval_step clock, else 0
    clock: Mapped[str] = mapped_column(String(8))
    minutes: Mapped[int]
    state: Mapped[str] = mapped_column(String(16), server_default="running")
    started_at: Mapped[datetime]
    warn_at: Mapped[datetime]
    due_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]  # since when a `paused` clock has not counted (its record awaits the requester)
    met_at: Mapped[datetime | None]
    warned_at: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]
