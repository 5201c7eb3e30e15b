"""What a record's own domain says when one of its SLA clocks warns or breaches: who to tell, and its timeline entry.

Modules register in `tenantplane.<domain>.sla_hooks` (imported by convention before the first announcement).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.kit.hooks import Hook, HookRegistry
from tenantplane.sla.models import SlaClock

Moment = Literal["warning", "breach"]


@dataclass
class ClockFired:
    """A clock's warning or breach; the record's domain fills in the people to tell and what to tell them."""

    clock: SlaClock
    moment: Moment
    recipients: set[uuid.UUID] = field(default_factory=set)
    subject: str = ""
    link: str | None = None


_FIRED: HookRegistry[ClockFired] = HookRegistry("sla_hooks")


def on_clock_fired(record_type: str) -> Callable[[Hook[ClockFired]], Hook[ClockFired]]:
    """Register `fn(session, fired)` to run in the timer's transaction for clocks of this record type."""
    return _FIRED.on(record_type)


async def run_fired_hooks(session: AsyncSession, fired: ClockFired) -> int:
    return await _FIRED.run(fired.clock.record_type, session, fired)
