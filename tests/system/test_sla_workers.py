"""An SLA clock's warning and breach each fire once with three real `tenantplane worker` processes competing for
its timer jobs, each queued three times (as if armed by three processes)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import psycopg
import pytest

from tenantplane.identity.auth import Principal
from tenantplane.identity.service import bootstrap
from tenantplane.itsm import catalog, requests
from tenantplane.itsm.schemas import CatalogItemIn, RequestIn
from tenantplane.kit.db import Database
from tenantplane.sla import policies
from tenantplane.sla.schemas import PolicyIn
from tests.system.test_automation_crashes import _rows, _stop, _until, _worker

pytestmark = pytest.mark.system
TIMERS = ("sla.warn", "sla.breach")


async def _submitted(url: str) -> uuid.UUID:
    """A tenant, a one-hour wall-clock approval target on an item with no approval, and a request for it."""
    db = Database(url)
    try:
        async with db.transaction() as session:
            tenant, user, _ = await bootstrap(
                session, slug=f"t-{uuid.uuid4().hex[:8]}", admin_email="admin@example.com", admin_password="x" * 16
            )
            actor = Principal(
                kind="user", id=user.id, label=user.email, tenant_id=tenant.id,
                roles=frozenset(user.roles), via="test", user=user,
            )  # fmt: skip
            target = {"target": "resolution", "minutes": 60, "clock": "wall"}
            policy = await policies.create_policy(
                session, actor=actor, data=PolicyIn.model_validate({"name": "Hour", "targets": [target]})
            )
            item = await catalog.create_item(
                session, actor=actor, data=CatalogItemIn(name="Desk", sla_policy_id=policy.id)
            )
        async with db.transaction() as session:  # numbers are drawn on a connection of their own: tenant committed
            submitted = await requests.submit(
                session, actor=actor, data=RequestIn(catalog_item_id=item.id), idempotency_key=None
            )
            return submitted.request.id
    finally:
        await db.dispose()


async def test_warning_and_breach_fire_once_with_three_worker_processes(clean_database: str, tmp_path: Path) -> None:
    url = clean_database
    request_id = await _submitted(url)
    with psycopg.connect(url) as conn:
        # Two hours later, and every timer job queued twice more without anything to tell them apart.
        conn.execute(
            "UPDATE sla_clocks SET started_at = started_at - interval '2 hours', warn_at = warn_at - interval "
            "'2 hours', due_at = due_at - interval '2 hours' WHERE record_id = %s",
            (request_id,),
        )
        conn.execute("UPDATE jobs SET run_at = now() + interval '3 seconds' WHERE kind = ANY(%s)", (list(TIMERS),))
        conn.execute(
            "INSERT INTO jobs (tenant_id, kind, queue, payload, run_at, max_attempts, backoff_seconds) "
            "SELECT tenant_id, kind, queue, payload, run_at, max_attempts, backoff_seconds FROM jobs "
            "CROSS JOIN generate_series(1, 2) WHERE kind = ANY(%s)",
            (list(TIMERS),),
        )
    workers = [_worker(url, tmp_path / f"w{i}") for i in range(3)]
    try:
        _until(
            lambda: (
                _rows(url, "SELECT status, count(*) FROM jobs WHERE kind = ANY(%s) GROUP BY 1", list(TIMERS))
                == [("succeeded", 6)]
            ),
            "the six timer jobs to run",
            60,
        )
        time.sleep(1.0)  # every chance for a duplicate to show up
    finally:
        for worker in workers:
            _stop(worker)
    kinds = _rows(
        url, "SELECT kind FROM itsm_record_events WHERE record_id = %s AND kind LIKE 'sla_%%' ORDER BY 1", request_id
    )
    assert kinds == [("sla_breached",), ("sla_warning",)]
    assert _rows(url, "SELECT count(*) FROM notifications WHERE subject LIKE '%%target%%'") == [(2,)]
    audit = _rows(url, "SELECT action FROM audit_events WHERE action LIKE 'sla_clock.%%' ORDER BY 1")
    assert audit == [("sla_clock.breached",), ("sla_clock.warned",)]
    assert _rows(url, "SELECT state FROM sla_clocks") == [("breached",)]
