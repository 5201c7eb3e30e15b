"""Template budgets through the API: a stalling template fails its action with the budget it broke while the
server keeps answering /healthz quickly; templates and expressions nested too deep are refused at save (422).

The server is uvicorn on 127.0.0.1 with the job worker in the same event loop, as `serve` runs its embedded
worker: a render that held the loop would delay every request.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import TenantContext
from tests.api.sweep_automation import (
    WORKFLOWS,
    create_workflow,
    edge,
    execute_workflow,
    script_runbook,
    step,
    steps_of,
    wait_until,
    workflow_body,
)
from tests.api.sweep_itsm import REQUESTS, create_item
from tests.api.sweep_runbooks import create_runbook, execute, runbook_body, wait_for_execution
from tests.live_server import free_port

DEEP = "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}"
DEEP_EXPRESSION = "(" * 5000 + "1" + ")" * 5000
NESTED = "nested deeper than 64 levels"
CHANNELS = "/api/notifications/channels"
DELIVERIES = "/api/notifications/deliveries"
FINISHED = {"succeeded", "failed", "rejected", "cancelled"}


@pytest.fixture
async def served(app: FastAPI) -> AsyncIterator[str]:
    """The app on a free loopback port, in this test's event loop (its lifespan already runs in `app`)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_config=None))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await asyncio.wait_for(task, timeout=10)


def poll_health(url: str, stop: threading.Event) -> list[float]:
    """Latencies of GET /healthz, one request every 5 ms from another thread, until `stop`."""
    latencies: list[float] = []
    with httpx.Client(base_url=url, timeout=10) as http:
        while not stop.is_set():
            started = time.perf_counter()
            assert http.get("/healthz").status_code == 200
            latencies.append(time.perf_counter() - started)
            time.sleep(0.005)
    return latencies


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def echo(values: dict[str, Any]) -> dict[str, Any]:
    return {"actions": [{"name": "say", "type": "echo", "values": values}]}


async def test_a_stalling_template_fails_its_action_while_healthz_stays_quick(
    served: str, client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    warm = await create_runbook(tenant, client, **echo({"ok": "{{ 6 * 7 }}"}))
    # A first execution warms what every first job pays once (imports, statement caches), unrelated to templates.
    assert (await wait_for_execution(client, tenant.admin, await execute(client, tenant.admin, warm["id"])))[
        "outputs"
    ] == {"ok": "42"}
    power = await create_runbook(tenant, client, **echo({"parity": "{{ (7 ** 6000000) % 2 }}"}))
    loops = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    spinning = await create_runbook(tenant, client, **echo({"spin": loops}))
    stop = threading.Event()
    polling = asyncio.create_task(asyncio.to_thread(poll_health, served, stop))
    await asyncio.sleep(0.3)  # a baseline before anything renders
    started = [await execute(client, tenant.admin, runbook["id"]) for runbook in (power, spinning)]
    finished = [await wait_for_execution(client, tenant.admin, e) for e in started]
    await asyncio.sleep(0.3)
    stop.set()
    latencies = await polling

    assert finished[0]["status"] == "failed"
    assert "integer would be larger than 4,096 bits" in finished[0]["error"]
    assert finished[1]["status"] == "failed"
    assert "template exceeded the 1 s render limit" in finished[1]["error"]
    assert finished[1]["steps"][0]["reason"].endswith("failed: template exceeded the 1 s render limit")
    assert len(latencies) >= 100, len(latencies)
    assert p99(latencies) < 0.05, f"p99 {p99(latencies) * 1000:.1f} ms over {len(latencies)} requests"


async def test_a_runbook_template_nested_too_deep_is_refused_at_save(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    actions = [
        {"name": "say", "type": "echo", "values": {"x": DEEP}},
        {"name": "call", "type": "http", "method": "POST", "url": "http://127.0.0.1:9/", "body": DEEP},
    ]
    response = await client.post("/api/runbooks", json=runbook_body(actions=actions), headers=tenant.admin.headers)
    assert response.status_code == 422, response.text
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert set(errors) == {"actions.0.values.x", "actions.1.body"}, errors
    assert all(NESTED in message for message in errors.values()), errors


async def test_workflow_expressions_and_templates_nested_too_deep_are_refused_at_save(tenant: TenantContext) -> None:
    runbook = await script_runbook(tenant, "echo hi")
    body = workflow_body(
        step("check", "condition", expression=DEEP_EXPRESSION),
        step("run", "runbook", runbook_id=runbook, parameters={"host": DEEP}),
        step("page", "notification", channel="nowhere", subject=DEEP, body="{% if true %}" * 70),
        step("ask", "approval", approvers=[{"type": "any"}], message=DEEP),
        step("later", "delay", until=DEEP),
        edges=[
            edge("check", "run", "true"),
            edge("check", "page", "false"),
            edge("run", "ask", DEEP_EXPRESSION),
            edge("ask", "later"),
        ],
    )
    response = await tenant.client.post(WORKFLOWS, json=body, headers=tenant.admin.headers)
    assert response.status_code == 422, response.text
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    deep = {
        "steps[0].config.expression",
        "steps[1].config.parameters.host",
        "steps[2].config.subject",
        "steps[2].config.body",
        "steps[3].config.message",
        "steps[4].config.until",
        "edges[2].condition",
    }
    assert deep <= set(errors), errors
    assert all(NESTED in errors[field] for field in deep), errors


async def test_workflow_steps_over_budget_fail_with_the_budgets_message(
    client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    hook = {"name": "hook", "type": "webhook", "config": {"url": "http://127.0.0.1:9/hook"}}
    assert (await client.post(CHANNELS, json=hook, headers=tenant.admin.headers)).status_code == 201
    body = workflow_body(
        step("check", "condition", expression="inputs.n > 0"),
        step("tell", "notification", channel="hook", subject="n={{ inputs.n }}", body="{{ 'x' * 10**8 }}"),
        step("huge", "condition", expression="(7 ** 6000000) % 2 == 1"),
        step("never", "delay", seconds=0),
        edges=[
            edge("check", "tell", "true"),
            edge("check", "never", "false"),
            edge("tell", "huge", "success"),
            edge("tell", "never", "('x' * 1000) * 1000 != ''"),  # true, were it not over budget
            edge("huge", "never", "true"),
            edge("huge", "never", "false"),
        ],
        inputs={"type": "object", "properties": {"n": {"type": "integer"}}},
    )
    workflow = str((await create_workflow(tenant, body))["id"])
    finished = await wait_until(tenant.admin, await execute_workflow(tenant.admin, workflow, {"n": 3}), FINISHED)

    runs = steps_of(finished)
    assert finished["status"] == "failed", finished
    assert runs["tell"]["status"] == "succeeded"  # the delivery is dead; the step and the run go on
    assert runs["huge"]["status"] == "failed"
    assert "integer would be larger than 4,096 bits" in (runs["huge"]["reason"] or ""), runs["huge"]
    assert runs["never"]["status"] != "succeeded"  # an edge whose expression is over budget is not taken
    listed = (await client.get(DELIVERIES, params={"status": "dead"}, headers=tenant.admin.headers)).json()
    [delivery] = listed["items"]
    assert "string would be longer than 262,144 characters" in delivery["last_error"], delivery


async def test_a_fulfillment_template_over_budget_fails_the_request_with_the_budgets_message(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    runbook = await create_runbook(tenant, client)
    config = {"runbook_id": runbook["id"], "parameters": {"x": "{{ '%10000000s' | format('') }}"}}
    item = await create_item(tenant, variables=[], fulfillment_type="runbook", fulfillment_config=config)
    response = await client.post(REQUESTS, json={"catalog_item_id": item["id"]}, headers=tenant.admin.headers)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "fulfillment_failed"
    message = response.json()["timeline"][-1]["message"]
    assert "could not start" in message
    assert "string would be longer than 262,144 characters" in message
