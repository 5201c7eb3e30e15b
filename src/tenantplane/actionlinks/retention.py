"""Retention of action links: one used, or expired, is kept `retention_days` after that (the decision itself stays
on the approval's timeline and in the audit log for ever)."""

from __future__ import annotations

from datetime import datetime

from tenantplane.kit.db import Database
from tenantplane.kit.retention import delete_batch, retention_rule


@retention_rule("action links")
async def purge_action_links(database: Database, cutoff: datetime, limit: int) -> int:
    return await delete_batch(
        database,
        "DELETE FROM action_links WHERE id IN (SELECT id FROM action_links "
        "WHERE coalesce(used_at, expires_at) < :cutoff LIMIT :limit FOR UPDATE SKIP LOCKED)",
        cutoff,
        limit,
    )
