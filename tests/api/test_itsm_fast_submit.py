"""The one-statement submit (itsm/submitting.py, approvals/starting.py) writes exactly what the step-by-step submit
writes, answers what a read answers, and stays a handful of statements."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text

from tenantplane.app import create_app
from tenantplane.approvals import service as approvals_service
from tenantplane.itsm import approval as itsm_approval
from tenantplane.kit.db import Database
from tenantplane.settings import Settings
from tests.api.conftest import TenantContext
from tests.api.sweep_approvals import create_definition, signed_in, step
from tests.api.sweep_itsm import REQUESTS, create_item

GOOD = {"model": "13-inch", "cost": 1200}
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T[0-9:.]+(\+00:00|Z)?")


def _normal(value: Any, names: dict[str, str]) -> Any:
    """`value` as JSON with the submit's own ids and number named, and times blanked."""
    dumped = json.dumps(value, sort_keys=True, default=str)
    for real, name in names.items():
        dumped = dumped.replace(real, name)
    return json.loads(ISO_TIME.sub("<time>", dumped))


async def _rows(t: TenantContext, request_id: str) -> dict[str, Any]:
    """Every row a submit wrote, in order, with its own ids, number and times normalised away."""
    async with t.database.transaction() as session:

        async def all_of(sql: str, **binds: Any) -> list[dict[str, Any]]:
            return [dict(r._mapping) for r in (await session.execute(text(sql), binds)).all()]

        request = (await all_of("SELECT * FROM service_requests WHERE id = :id", id=request_id))[0]
        instance_id = request["approval_instance_id"]
        names = {str(request_id): "<request>", str(instance_id): "<instance>", request["number"]: "<number>"}
        drop = {"id", "created_at", "updated_at", "number", "approval_instance_id", "record_id"}
        instance = (await all_of("SELECT * FROM approval_instances WHERE id = :id", id=instance_id))[0]
        created = request["created_at"]
        rows = {
            "request": {k: v for k, v in request.items() if k not in drop},
            "instance": {k: v for k, v in instance.items() if k not in drop},
            "timeline": await all_of(
                "SELECT kind, actor_id, message, data FROM itsm_record_events WHERE record_id = :id "
                "ORDER BY created_at, id",
                id=request_id,
            ),
            "approval_events": await all_of(
                "SELECT kind, actor_id, payload FROM approval_events WHERE instance_id = :id ORDER BY created_at, id",
                id=instance_id,
            ),
            "assignments": await all_of(
                "SELECT step_name, user_id FROM approval_assignments WHERE instance_id = :id ORDER BY 1, 2",
                id=instance_id,
            ),
            "audit": await all_of(
                "SELECT tenant_id, actor_type, actor_id, actor_label, action, object_type, summary FROM audit_events "
                "WHERE object_id = :id",
                id=str(request_id),
            ),
            "jobs": await all_of(
                "SELECT kind, queue, payload, max_attempts, round(extract(epoch FROM run_at - :at)) AS delay "
                "FROM jobs WHERE payload->>'instance_id' = :id ORDER BY kind",
                id=str(instance_id),
                at=created,
            ),
        }
        times = await all_of(
            "SELECT created_at FROM itsm_record_events WHERE record_id = :id ORDER BY created_at, id", id=request_id
        )
        assert all(a["created_at"] < b["created_at"] for a, b in pairwise(times))
    return _normal(rows, names)


async def _ladder_item(t: TenantContext, app: FastAPI) -> tuple[dict[str, Any], Any]:
    boss = await signed_in(t, app)
    stand_in = await signed_in(t, app)
    cab = await signed_in(t, app, roles=["cab"])
    until = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    patched = await t.client.patch(
        f"/api/users/{boss.id}", json={"delegate_id": stand_in.id, "delegate_until": until}, headers=t.admin.headers
    )
    assert patched.status_code == 200, patched.text
    requester = await signed_in(t, app, manager_id=boss.id)
    ladder = await create_definition(
        t,
        step(
            "manager",
            1,
            "manager",
            timeout=3600,
            on_timeout="escalate",
            remind_after=600,
            escalate_after=1800,
            escalate_to="fallback",
        ),
        step("cab", 2, "role", "cab"),
    )
    assert cab.id
    return await create_item(t, workflow_definition_id=ladder["id"]), requester


async def _submit(t: TenantContext, requester: Any, item: dict[str, Any]) -> dict[str, Any]:
    body = {"catalog_item_id": item["id"], "variables": GOOD, "justification": "old one broke"}
    response = await t.client.post(REQUESTS, json=body, headers=requester.headers)
    assert response.status_code == 201, response.text
    submitted: dict[str, Any] = response.json()
    read = await t.client.get(f"{REQUESTS}/{submitted['id']}", headers=requester.headers)
    assert read.json() == submitted, "the answer built without reading back is what a read answers"
    return submitted


async def test_the_one_statement_submit_writes_what_the_step_by_step_submit_writes(
    tenant: TenantContext, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    item, requester = await _ladder_item(tenant, app)
    fast = await _submit(tenant, requester, item)
    with monkeypatch.context() as patched:

        async def no_plan(*_: Any, **__: Any) -> None:
            return None

        patched.setattr(itsm_approval, "plan_request_approval", no_plan)
        patched.setattr(approvals_service, "plan_start", no_plan)
        with _counting(app) as seen:
            slow = await _submit(tenant, requester, item)
        assert any(s.startswith("UPDATE approval_instances") for s in seen), "the effect-by-effect start ran"
    fast_rows, slow_rows = await _rows(tenant, fast["id"]), await _rows(tenant, slow["id"])
    assert [e["kind"] for e in fast_rows["approval_events"]] == [
        "started",
        "notice.approval_requested",
        "timeout_scheduled",
        "remind_scheduled",
        "escalate_scheduled",
    ]
    assert len(fast_rows["approval_events"][1]["payload"]["recipients"]) == 2, "the manager and their delegate"
    kinds = {j["kind"] for j in fast_rows["jobs"]}
    assert kinds == {"approvals.notify", "approvals.timeout", "approvals.remind", "approvals.escalate"}
    assert fast_rows == slow_rows

    def answer(detail: dict[str, Any]) -> Any:
        names = {detail["id"]: "<request>", detail["approval_instance_id"]: "<instance>", detail["number"]: "<n>"}
        return _normal({k: v for k, v in detail.items() if k not in ("id", "number")}, names)

    assert answer(fast) == answer(slow)


@contextmanager
def _counting(app: FastAPI) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_a_submit_with_an_approval_ladder_sends_a_handful_of_statements(
    tenant: TenantContext, app: FastAPI
) -> None:
    item, requester = await _ladder_item(tenant, app)
    body = {"catalog_item_id": item["id"], "variables": GOOD}
    await tenant.client.post(REQUESTS, json=body, headers=requester.headers)  # warm
    with _counting(app) as seen:
        response = await tenant.client.post(REQUESTS, json=body, headers=requester.headers)
    assert response.status_code == 201, response.text
    # Sign-in check, item with its ladder, number, approvers, the one INSERT, three jobs (notify, timeout, remind).
    assert len(seen) <= 8, "\n".join(seen)
    assert uuid.UUID(response.json()["approval_instance_id"])


async def test_a_burst_of_submits_larger_than_the_pool_draws_numbers_without_waiting_for_the_pool(
    tenant: TenantContext, settings: Settings
) -> None:
    """Every unit of work holds a connection while it draws its number: the numbers come from a pool of their own,
    so submits that hold all the main pool's connections never wait for one more (once: 30 s, then a 500)."""
    item = await create_item(tenant)
    small = create_app(settings)
    small.state.db = Database(settings.database_url or "", pool_size=1)  # 2 connections in all
    try:
        async with small.router.lifespan_context(small):
            transport = httpx.ASGITransport(app=small)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=20) as http:
                body = {"catalog_item_id": item["id"], "variables": GOOD}
                burst = [http.post(REQUESTS, json=body, headers=tenant.admin.headers) for _ in range(8)]
                responses = await asyncio.gather(*burst)
    finally:
        await small.state.db.dispose()
    assert [r.status_code for r in responses] == [201] * 8
    assert sorted(r.json()["number"] for r in responses) == [f"REQ{n:07d}" for n in range(1, 9)]
