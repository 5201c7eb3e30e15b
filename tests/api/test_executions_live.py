"""Executions while they run: the log streams as Server-Sent Events, and cancelling kills the script.

The stream is read over a real socket (uvicorn in the test's loop): the in-memory transport buffers bodies.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import TenantContext
from tests.api.sweep_runbooks import create_runbook, execute, wait_for_execution
from tests.conftest import shared_with_runbooks


@pytest.fixture
async def served(app: FastAPI) -> AsyncIterator[str]:
    """The app on a free local port (its lifespan already runs in the `app` fixture)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_config=None))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await asyncio.wait_for(task, timeout=10)


@pytest.fixture
def marker_dir() -> Iterator[Path]:
    path = shared_with_runbooks("tp-test-")
    yield path
    for child in path.iterdir():
        child.unlink()
    path.rmdir()


async def read_events(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, Any], float]]:
    """(event, data, arrival time) for each Server-Sent Event of the response."""
    event, data = "message", ""
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            event = line[len("event: ") :]
        elif line.startswith("data: "):
            data = line[len("data: ") :]
        elif line == "" and data:
            yield event, json.loads(data), time.monotonic()
            event, data = "message", ""


async def test_log_lines_stream_while_the_script_runs_then_the_stream_ends_with_the_status(
    served: str, client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    script = "for i in 1 2 3; do echo line-$i; sleep 0.7; done; echo done >&2"
    runbook = await create_runbook(tenant, client, actions=[{"name": "count", "type": "shell", "script": script}])
    execution_id = await execute(client, tenant.admin, runbook["id"])
    events: list[tuple[str, dict[str, Any], float]] = []
    status_at_first_line = None
    async with (
        httpx.AsyncClient(base_url=served, timeout=20) as http,
        http.stream("GET", f"/api/executions/{execution_id}/logs", headers=tenant.admin.headers) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        async for item in read_events(response):
            events.append(item)
            if item[0] == "log" and status_at_first_line is None:
                current = await client.get(f"/api/executions/{execution_id}", headers=tenant.admin.headers)
                status_at_first_line = current.json()["status"]
    logs = [(data["step"], data["stream"], data["text"]) for kind, data, _ in events if kind == "log"]
    assert "".join(text for _, stream, text in logs if stream == "stdout") == "line-1\nline-2\nline-3\n"
    assert ("count", "stderr", "done\n") in logs
    assert status_at_first_line == "running"
    first_line_at = next(at for kind, data, at in events if kind == "log")
    end = events[-1]
    assert (end[0], end[1]["status"]) == ("end", "succeeded")
    assert end[2] - first_line_at > 1.0, "the first line arrived only when the script had finished"
    assert [data["status"] for kind, data, _ in events if kind == "status"][-1] == "succeeded"


async def test_reconnecting_with_last_event_id_resumes_after_the_last_chunk(
    client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    script = "echo one; sleep 0.5; echo two"
    runbook = await create_runbook(tenant, client, actions=[{"name": "two", "type": "shell", "script": script}])
    execution_id = await execute(client, tenant.admin, runbook["id"])
    await wait_for_execution(client, tenant.admin, execution_id)
    url = f"/api/executions/{execution_id}/logs"
    whole = await client.get(url, headers=tenant.admin.headers)
    assert "id: 1\nevent: log" in whole.text
    resumed = await client.get(url, headers={**tenant.admin.headers, "Last-Event-ID": "1"})
    assert "one" in whole.text
    assert "one" not in resumed.text
    assert "two" in resumed.text
    assert resumed.text.rstrip().endswith('"status": "succeeded", "error": null}')


async def test_cancelling_a_running_script_kills_it_and_records_cancelled(
    client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner, marker_dir: Path
) -> None:
    marker = marker_dir / "survived"
    script = f"echo started; sleep 3; touch {marker}"
    runbook = await create_runbook(
        tenant,
        client,
        actions=[
            {"name": "long", "type": "shell", "script": script},
            {"name": "after", "type": "shell", "script": f"touch {marker}.after"},
        ],
    )
    execution_id = await execute(client, tenant.admin, runbook["id"])
    await wait_for_execution(client, tenant.admin, execution_id, until=frozenset({"running"}))
    await asyncio.sleep(0.3)
    started = time.monotonic()
    cancel = await client.post(f"/api/executions/{execution_id}/cancel", headers=tenant.admin.headers)
    assert cancel.status_code == 202
    assert cancel.json()["cancel_requested_at"] is not None
    done = await wait_for_execution(client, tenant.admin, execution_id, timeout=10)
    assert time.monotonic() - started < 2.5
    assert done["status"] == "cancelled"
    long_step, after = done["steps"]
    assert (long_step["status"], long_step["log"]) == ("cancelled", "started\n")
    assert after["status"] == "skipped"
    await asyncio.sleep(3.5 - (time.monotonic() - started))  # past the moment the script would have written
    assert list(marker_dir.iterdir()) == []
    job = await client.get("/api/jobs", params={"kind": "runbooks.execute"}, headers=tenant.admin.headers)
    assert [j["status"] for j in job.json()["items"]] == ["cancelled"]
    again = await client.post(f"/api/executions/{execution_id}/cancel", headers=tenant.admin.headers)
    assert again.status_code == 409


async def test_cancelling_a_queued_execution_cancels_it_before_any_action_runs(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    runbook = await create_runbook(tenant, client)
    execution_id = await execute(client, tenant.admin, runbook["id"])
    requester = await tenant.user()
    assert (await client.post(f"/api/executions/{execution_id}/cancel", headers=requester.headers)).status_code == 404
    cancelled = await client.post(f"/api/executions/{execution_id}/cancel", headers=tenant.admin.headers)
    assert cancelled.status_code == 202
    assert cancelled.json()["status"] == "cancelled"
    assert [s["status"] for s in cancelled.json()["steps"]] == ["skipped"]
    jobs = await client.get("/api/jobs", params={"kind": "runbooks.execute"}, headers=tenant.admin.headers)
    assert [j["status"] for j in jobs.json()["items"]] == ["cancelled"]
