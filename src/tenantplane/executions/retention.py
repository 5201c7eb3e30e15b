"""Retention of the live log: the chunks a running script streamed (`GET /api/executions/{id}/logs`) are kept
`retention_days` after their execution finished. Each action's whole log stays on its step run (`step_runs.log`)."""

from __future__ import annotations

from datetime import datetime

from tenantplane.kit.db import Database
from tenantplane.kit.retention import delete_batch, retention_rule


@retention_rule("execution log chunks")
async def purge_log_chunks(database: Database, cutoff: datetime, limit: int) -> int:
    return await delete_batch(
        database,
        "DELETE FROM execution_log_chunks c WHERE c.ctid IN (SELECT c2.ctid FROM execution_log_chunks c2 "
        "JOIN executions e ON e.id = c2.execution_id AND e.tenant_id = c2.tenant_id "
        "WHERE e.finished_at < :cutoff LIMIT :limit)",
        cutoff,
        limit,
    )
