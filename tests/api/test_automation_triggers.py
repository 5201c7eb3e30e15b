"""Workflow triggers (PRODUCT.md §6, §10): schedules fire once per due time however many workers run,
inbound webhooks need only their secret URL, ITSM events start workflows; each execution has origin trigger."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from tenantplane.automation.triggers import schedule as triggers
from tenantplane.jobs.queue import enqueue
from tenantplane.jobs.registry import load_task_modules
from tenantplane.jobs.worker import ExecutionJobRunner, RunnerOptions
from tests.api.conftest import TenantContext
from tests.api.sweep_approvals import create_definition, decide, signed_in
from tests.api.sweep_approvals import step as ladder_step
from tests.api.sweep_automation import (
    WORKFLOWS,
    create_workflow,
    edge,
    execute_workflow,
    pending_gate,
    script_runbook,
    step,
    steps_of,
    wait_until,
    workflow_body,
)
from tests.api.sweep_itsm import REQUESTS, create_item
from tests.api.sweep_triggers import SCHEDULE, create_trigger

FORM = [{"name": "username", "type": "string", "required": True}]


async def _script_workflow(t: TenantContext, inputs: dict[str, Any] | None = None) -> str:
    runbook = await script_runbook(t, "true")
    body = workflow_body(step("run", "runbook", runbook_id=runbook), **({"inputs": inputs} if inputs else {}))
    return str((await create_workflow(t, body))["id"])


async def _executions(app: FastAPI, trigger_id: str) -> list[dict[str, Any]]:
    async with app.state.db.transaction() as session:
        rows = await session.execute(
            text(
                "SELECT id, status, parameters FROM executions WHERE origin_type = 'trigger' AND origin_id = :id "
                "ORDER BY created_at"
            ),
            {"id": trigger_id},
        )
        return [dict(r._mapping) for r in rows]


async def _wait_for(app: FastAPI, trigger_id: str, count: int, timeout: float = 15) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        found = await _executions(app, trigger_id)
        if len(found) >= count and all(e["status"] in {"succeeded", "failed"} for e in found):
            return found
        assert time.monotonic() < deadline, found
        await asyncio.sleep(0.1)


@pytest.fixture
async def three_runners(app: FastAPI) -> AsyncIterator[list[ExecutionJobRunner]]:
    """Three job runners on the app's database, as three worker processes would be."""
    load_task_modules()
    options = RunnerOptions(
        queues=["default"], concurrency=4, lease_seconds=5.0, heartbeat_seconds=0.5, poll_seconds=0.2, grace_seconds=5.0
    )
    runners = [ExecutionJobRunner(app.state.db, options, settings=app.state.settings) for _ in range(3)]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(r.run(stop)) for r in runners]
    yield runners
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)


async def test_schedule_config_is_validated(tenant: TenantContext) -> None:
    workflow = await _script_workflow(tenant)
    url = f"{WORKFLOWS}/{workflow}/triggers"
    bad = await tenant.client.post(
        url,
        json={"kind": "schedule", "config": {"cron": "61 * * *", "timezone": "Mars/Olympus"}},
        headers=tenant.admin.headers,
    )
    assert bad.status_code == 422, bad.text
    assert {e["field"] for e in bad.json()["errors"]} == {"config.cron", "config.timezone"}
    created = await create_trigger(tenant, workflow, "schedule", **SCHEDULE)
    due = datetime.fromisoformat(created["next_fire_at"])
    assert due > datetime.now(UTC)
    assert due.minute % 5 == 0
    assert created["url"] is None
    listed = (await tenant.client.get(url, headers=tenant.admin.headers)).json()["items"]
    assert [t["id"] for t in listed] == [created["id"]]


async def test_schedule_fires_once_per_due_time_with_three_workers(
    app: FastAPI, tenant: TenantContext, three_runners: list[ExecutionJobRunner]
) -> None:
    workflow = await _script_workflow(tenant)
    trigger = await create_trigger(tenant, workflow, "schedule", cron="* * * * *", timezone="Europe/Berlin")
    due = datetime.fromisoformat(trigger["next_fire_at"])
    soon = datetime.now(UTC) + timedelta(seconds=1.5)
    async with app.state.db.transaction() as session:
        # Make the next due time come in ~1.5 s, and enqueue it twice more without the dedupe key (as if other
        # processes had scheduled it too): only the firing row's unique key stands between them and a 3rd run.
        await session.execute(
            text("UPDATE jobs SET run_at = :soon WHERE kind = :kind AND payload->>'trigger_id' = :id"),
            {"soon": soon, "kind": triggers.SCHEDULE_FIRE, "id": trigger["id"]},
        )
        payload = {"trigger_id": trigger["id"], "due_at": due.isoformat()}
        for _ in range(2):
            await enqueue(
                session, kind=triggers.SCHEDULE_FIRE, payload=payload, tenant_id=uuid.UUID(tenant.id), run_at=soon
            )
    found = await _wait_for(app, trigger["id"], 1)
    await asyncio.sleep(1.5)  # give the duplicates every chance to run
    found = await _executions(app, trigger["id"])
    assert len(found) == 1, found
    assert found[0]["status"] == "succeeded", found
    assert found[0]["parameters"]["trigger"] == {
        "kind": "schedule",
        "trigger_id": trigger["id"],
        "due_at": due.isoformat(),
    }
    async with app.state.db.transaction() as session:
        firings = (await session.execute(text("SELECT due_at FROM workflow_trigger_firings"))).scalars().all()
        queued = (
            (
                await session.execute(
                    text("SELECT payload->>'due_at' FROM jobs WHERE kind = :kind AND status = 'queued'"),
                    {"kind": triggers.SCHEDULE_FIRE},
                )
            )
            .scalars()
            .all()
        )
    assert firings == [due]
    assert queued == [(due + timedelta(minutes=1)).isoformat()]  # the next due time, scheduled once
    listed = (await tenant.client.get(f"{WORKFLOWS}/{workflow}/triggers", headers=tenant.admin.headers)).json()
    assert listed["items"][0]["last_fired_at"] is not None


async def test_after_downtime_only_the_most_recent_missed_due_time_fires(
    app: FastAPI, tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    workflow = await _script_workflow(tenant)
    trigger = await create_trigger(tenant, workflow, "schedule", cron="* * * * *", timezone="UTC")
    stale = (datetime.now(UTC) - timedelta(hours=3)).replace(second=0, microsecond=0)
    async with app.state.db.transaction() as session:
        await session.execute(
            text(
                "UPDATE jobs SET run_at = now(), "
                "payload = jsonb_set(payload, '{due_at}', to_jsonb(CAST(:due AS text))) "
                "WHERE kind = :kind AND payload->>'trigger_id' = :id"
            ),
            {"due": stale.isoformat(), "kind": triggers.SCHEDULE_FIRE, "id": trigger["id"]},
        )
    found = await _wait_for(app, trigger["id"], 1)
    assert len(found) == 1
    fired = datetime.fromisoformat(found[0]["parameters"]["trigger"]["due_at"])
    assert fired > stale + timedelta(hours=2)
    assert fired <= datetime.now(UTC)


async def test_inbound_webhook_starts_the_workflow_with_its_payload(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    workflow = await _script_workflow(tenant)
    trigger = await create_trigger(tenant, workflow, "webhook")
    url = trigger["url"]
    assert url.startswith("/api/hooks/")
    assert len(url) > 40
    listed = (await client.get(f"{WORKFLOWS}/{workflow}/triggers", headers=tenant.admin.headers)).json()
    assert listed["items"][0]["url"] is None  # the secret URL is shown once
    assert (await client.post("/api/hooks/" + "x" * 43, json={"a": 1})).status_code == 404
    assert (await client.post(url[:-1] + ("A" if url[-1] != "A" else "B"), json={"a": 1})).status_code == 404
    too_big = json.dumps({"blob": "x" * (300 * 1024)})
    assert (await client.post(url, content=too_big, headers={"content-type": "application/json"})).status_code == 413
    assert await _executions(app, trigger["id"]) == []
    accepted = await client.post(url, json={"ref": "main", "commits": 2})
    assert accepted.status_code == 202, accepted.text
    found = await _wait_for(app, trigger["id"], 1)
    assert [str(e["id"]) for e in found] == [accepted.json()["execution_id"]]
    assert found[0]["status"] == "succeeded"
    assert found[0]["parameters"]["trigger"]["payload"] == {"ref": "main", "commits": 2}
    async with app.state.db.transaction() as session:
        audited = await session.execute(
            text("SELECT action, actor_type FROM audit_events WHERE object_id = :id"), {"id": str(found[0]["id"])}
        )
        actions = [tuple(r) for r in audited]
    assert [a for a, _ in actions].count("workflow.executed") == 1, actions  # the webhook call: audited once


async def test_disabled_or_deleted_webhook_answers_404(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    workflow = await _script_workflow(tenant)
    response = await client.post(
        f"{WORKFLOWS}/{workflow}/triggers", json={"kind": "webhook", "enabled": False}, headers=tenant.admin.headers
    )
    assert response.status_code == 201, response.text
    assert (await client.post(response.json()["url"], json={})).status_code == 404
    live = await create_trigger(tenant, workflow, "webhook")
    deleted = await client.delete(f"{WORKFLOWS}/{workflow}/triggers/{live['id']}", headers=tenant.admin.headers)
    assert deleted.status_code == 204
    assert (await client.post(live["url"], json={})).status_code == 404
    assert await _executions(app, response.json()["id"]) == []


async def test_itsm_request_approved_trigger_filters_by_catalog_item(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    workflow = await _script_workflow(
        tenant, inputs={"type": "object", "properties": {"who": {"type": "string"}, "trigger": {"type": "object"}}}
    )
    owner = await signed_in(tenant, app, roles=["app_owner"])
    ladder = await create_definition(tenant, ladder_step("app owner", 1, "role", "app_owner"))
    wanted = await create_item(tenant, variables=FORM, workflow_definition_id=ladder["id"])
    other = await create_item(tenant, variables=FORM, workflow_definition_id=ladder["id"])
    trigger = await create_trigger(
        tenant,
        workflow,
        "itsm_event",
        event="itsm.request.approved",
        catalog_item_id=wanted["id"],
        inputs={"who": "{{ request.variables.username }}"},
    )
    requester = await tenant.user()
    for item, name in ((other, "bob"), (wanted, "ada")):
        body = {"catalog_item_id": item["id"], "variables": {"username": name}}
        submitted = (await client.post(REQUESTS, json=body, headers=requester.headers)).json()
        assert (await decide(owner, submitted["approval_instance_id"])).status_code == 200
    found = await _wait_for(app, trigger["id"], 1)
    await asyncio.sleep(1.0)  # the other item's approval job has run too by now
    found = await _executions(app, trigger["id"])
    assert len(found) == 1, found
    assert found[0]["parameters"]["who"] == "ada"
    assert found[0]["parameters"]["trigger"]["event"] == "itsm.request.approved"


async def test_itsm_request_fulfilled_trigger_fires_on_manual_fulfillment(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    workflow = await _script_workflow(tenant)
    item = await create_item(tenant, variables=FORM)
    trigger = await create_trigger(tenant, workflow, "itsm_event", event="itsm.request.fulfilled")
    body = {"catalog_item_id": item["id"], "variables": {"username": "cy"}}
    submitted = (await client.post(REQUESTS, json=body, headers=tenant.admin.headers)).json()
    assert submitted["status"] == "in_fulfillment", submitted
    assert await _executions(app, trigger["id"]) == []
    done = await client.post(f"{REQUESTS}/{submitted['id']}/fulfill", json={}, headers=tenant.admin.headers)
    assert done.status_code == 200, done.text
    found = await _wait_for(app, trigger["id"], 1)
    assert found[0]["parameters"]["trigger"]["request"]["number"] == submitted["number"]


async def test_a_trigger_that_cannot_start_never_blocks_the_itsm_transition(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    workflow = await _script_workflow(tenant)
    trigger = await create_trigger(tenant, workflow, "itsm_event", event="itsm.request.fulfilled")
    assert (await client.delete(f"{WORKFLOWS}/{workflow}", headers=tenant.admin.headers)).status_code == 204
    item = await create_item(tenant, variables=FORM)
    body = {"catalog_item_id": item["id"], "variables": {"username": "di"}}
    submitted = (await client.post(REQUESTS, json=body, headers=tenant.admin.headers)).json()
    done = await client.post(f"{REQUESTS}/{submitted['id']}/fulfill", json={}, headers=tenant.admin.headers)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "fulfilled"
    assert await _executions(app, trigger["id"]) == []


async def _fire_jobs(app: FastAPI, trigger_id: str) -> list[dict[str, Any]]:
    async with app.state.db.transaction() as session:
        rows = await session.execute(
            text(
                "SELECT status, payload->>'due_at' AS due_at FROM jobs WHERE kind = :kind "
                "AND payload->>'trigger_id' = :id ORDER BY created_at"
            ),
            {"kind": triggers.SCHEDULE_FIRE, "id": trigger_id},
        )
        return [dict(r._mapping) for r in rows]


async def test_a_schedule_is_disabled_reconfigured_and_re_enabled(app: FastAPI, tenant: TenantContext) -> None:
    workflow = await _script_workflow(tenant)
    trigger = await create_trigger(tenant, workflow, "schedule", **SCHEDULE)
    url = f"{WORKFLOWS}/{workflow}/triggers/{trigger['id']}"
    [armed] = await _fire_jobs(app, trigger["id"])
    assert armed["status"] == "queued"

    off = await tenant.client.patch(url, json={"enabled": False}, headers=tenant.admin.headers)
    assert off.status_code == 200, off.text
    assert (off.json()["enabled"], off.json()["next_fire_at"]) == (False, None)
    assert [j["status"] for j in await _fire_jobs(app, trigger["id"])] == ["cancelled"]

    bad = await tenant.client.patch(url, json={"config": {"cron": "0 3 * *"}}, headers=tenant.admin.headers)
    assert bad.status_code == 422, bad.text
    assert [e["field"] for e in bad.json()["errors"]] == ["config.cron"]
    unchanged = (await tenant.client.get(url, headers=tenant.admin.headers)).json()
    assert (unchanged["config"], unchanged["enabled"]) == (SCHEDULE, False)

    nightly = {"cron": "0 3 * * *", "timezone": "Europe/Berlin"}
    on = await tenant.client.patch(url, json={"enabled": True, "config": nightly}, headers=tenant.admin.headers)
    assert on.status_code == 200, on.text
    due = datetime.fromisoformat(on.json()["next_fire_at"])
    assert due > datetime.now(UTC)
    assert due.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M") == "03:00"
    jobs = await _fire_jobs(app, trigger["id"])
    assert [(j["status"], j["due_at"]) for j in jobs] == [("cancelled", armed["due_at"]), ("queued", due.isoformat())]


async def test_a_disabled_webhook_answers_404_until_it_is_enabled_again(tenant: TenantContext) -> None:
    workflow = await _script_workflow(tenant)
    created = await create_trigger(tenant, workflow, "webhook")
    url = f"{WORKFLOWS}/{workflow}/triggers/{created['id']}"
    assert (await tenant.client.patch(url, json={"enabled": False}, headers=tenant.admin.headers)).status_code == 200
    assert (await tenant.client.post(created["url"], json={})).status_code == 404
    again = await tenant.client.patch(url, json={"enabled": True}, headers=tenant.admin.headers)
    assert (again.status_code, again.json()["url"]) == (200, None), again.text  # the secret is never shown again
    assert (await tenant.client.post(created["url"], json={})).status_code == 202


async def test_a_schedule_whose_fire_job_died_is_re_armed_and_fires_the_missed_time(
    app: FastAPI, tenant: TenantContext
) -> None:
    load_task_modules()
    # Every minute: started in the last seconds of one, the next due time would pass during the test and fire too.
    if (second := datetime.now(UTC).second) > 45:
        await asyncio.sleep(61 - second)
    workflow = await _script_workflow(tenant)
    trigger = await create_trigger(tenant, workflow, "schedule", cron="* * * * *", timezone="UTC")
    missed = (datetime.now(UTC) - timedelta(minutes=1)).replace(second=0, microsecond=0)
    async with app.state.db.transaction() as session:
        # Its fire job went dead (e.g. the database was away for all its attempts), so nothing armed the next.
        await session.execute(
            text("UPDATE jobs SET status = 'dead', finished_at = now() WHERE payload->>'trigger_id' = :id"),
            {"id": trigger["id"]},
        )
        await session.execute(
            text("UPDATE workflow_triggers SET next_fire_at = :due WHERE id = :id"),
            {"due": missed, "id": trigger["id"]},
        )
    options = RunnerOptions(concurrency=4, heartbeat_seconds=0.5, poll_seconds=0.2, maintenance_seconds=0.3)
    runner = ExecutionJobRunner(app.state.db, options, settings=app.state.settings)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        found = await _wait_for(app, trigger["id"], 1)
        await asyncio.sleep(1)  # several more housekeeping rounds: none may arm a second fire
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
    assert len(await _executions(app, trigger["id"])) == 1
    fired = datetime.fromisoformat(found[0]["parameters"]["trigger"]["due_at"])
    assert fired >= missed
    jobs = await _fire_jobs(app, trigger["id"])
    assert [j["status"] for j in jobs].count("queued") == 1, jobs
    assert datetime.fromisoformat(jobs[-1]["due_at"]) > fired


async def test_the_trigger_is_in_the_context_even_when_the_inputs_refuse_it(
    client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    page = await script_runbook(tenant, 'echo "paged=yes" > "$TP_OUTPUT"')
    body = workflow_body(
        step("severe", "condition", expression="trigger.payload.severity == 'high' and trigger.kind == 'webhook'"),
        step("page", "runbook", runbook_id=page),
        step("log", "delay", seconds=0),
        edges=[edge("severe", "page", "true"), edge("severe", "log", "false")],
        inputs={"type": "object", "properties": {}, "additionalProperties": False},  # no `inputs.trigger`
    )
    workflow = str((await create_workflow(tenant, body))["id"])
    hook = (await create_trigger(tenant, workflow, "webhook"))["url"]
    for severity, taken, skipped in (("high", "page", "log"), ("low", "log", "page")):
        accepted = await client.post(hook, json={"severity": severity})
        assert accepted.status_code == 202, accepted.text
        done = await wait_until(tenant.admin, accepted.json()["execution_id"], {"succeeded", "failed"})
        assert done["status"] == "succeeded", done
        assert done["parameters"] == {}
        steps = steps_of(done)
        assert (steps[taken]["status"], steps[skipped]["status"]) == ("succeeded", "skipped"), (severity, steps)


async def test_secrets_are_in_the_context_by_name_and_masked(
    client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    created = await client.post(
        "/api/secrets", json={"name": "PAGER_TOKEN", "value": "tok-very-secret-1"}, headers=tenant.admin.headers
    )
    assert created.status_code == 201, created.text
    await tenant.user()  # a possible approver besides the starter
    body = workflow_body(
        step("has-token", "condition", expression="'PAGER_TOKEN' in secrets and 'NOPE' not in secrets"),
        step("ok", "approval", approvers=[{"type": "any"}], message="Page with {{ secrets.PAGER_TOKEN }}?"),
        step("no-token", "delay", seconds=0),
        edges=[edge("has-token", "ok", "true"), edge("has-token", "no-token", "false")],
    )
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    await wait_until(tenant.admin, execution, {"waiting", "failed"})
    gate = await pending_gate(tenant.admin, execution)
    assert gate["message"] == "Page with ***?"
    assert "tok-very-secret-1" not in json.dumps(gate)
