"""Retention of notification deliveries: one that was sent, or gave up (`dead`), is kept `retention_days`."""

from __future__ import annotations

from datetime import datetime

from tenantplane.kit.db import Database
from tenantplane.kit.retention import delete_batch, retention_rule


@retention_rule("notification deliveries")
async def purge_deliveries(database: Database, cutoff: datetime, limit: int) -> int:
    return await delete_batch(
        database,
        "DELETE FROM notification_deliveries WHERE id IN (SELECT id FROM notification_deliveries "
        "WHERE status IN ('sent', 'dead') AND updated_at < :cutoff LIMIT :limit FOR UPDATE SKIP LOCKED)",
        cutoff,
        limit,
    )
