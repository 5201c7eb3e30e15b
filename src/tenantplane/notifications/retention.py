"""Retention of notification deliveries: one that was sent, or gave up (`dead`), is kept `retention_days`; so is a
Slack approval message once its subject is decided (it shows the outcome and will never change again) or it gave up."""

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


@retention_rule("slack messages")
async def purge_slack_messages(database: Database, cutoff: datetime, limit: int) -> int:
    # A message still waiting for its decision stays: when the step or gate is decided it is updated to show how.
    return await delete_batch(
        database,
        "DELETE FROM slack_messages WHERE id IN (SELECT id FROM slack_messages "
        "WHERE (outcome IS NOT NULL OR status = 'dead') AND updated_at < :cutoff LIMIT :limit FOR UPDATE SKIP LOCKED)",
        cutoff,
        limit,
    )
