"""The `http` action against a real HTTP server on 127.0.0.1: templates, outputs, masking, egress, statuses."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import TenantContext
from tests.api.sweep_runbooks import create_runbook, create_secret, execute, wait_for_execution

TOKEN = "tok-0123456789-abcdef"


class Recorder(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def _answer(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = (json.dumps(body) if content_type == "application/json" else str(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.received.append({"path": self.path, "headers": dict(self.headers), "body": raw.decode()})
        self._answer(201, {"received": json.loads(raw), "auth": self.headers.get("Authorization")})

    def do_GET(self) -> None:
        self.received.append({"path": self.path, "headers": dict(self.headers), "body": ""})
        if self.path == "/plain":
            self._answer(200, "pong", content_type="text/plain")
        else:
            self._answer(404, {"error": "nope"})

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    handler = type("Handler", (Recorder,), {"received": received})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", received
    httpd.shutdown()
    httpd.server_close()


async def test_an_http_action_sends_rendered_templates_and_its_masked_response_becomes_outputs(
    client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner, server: tuple[str, list[Any]]
) -> None:
    base, received = server
    await create_secret(tenant, client, "HTTP_TOKEN", TOKEN)
    call = {
        "name": "call",
        "type": "http",
        "method": "POST",
        "url": base + "/echo?host={{ parameters.host }}",
        "headers": {"Authorization": "Bearer {{ secrets.HTTP_TOKEN }}"},
        "body": {"host": "{{ parameters.host }}", "previous": "{{ outputs.greeting }}"},
        "expect_status": [201],
    }
    after = {"name": "after", "type": "shell", "script": 'echo "seen=$TP_OUTPUT_STATUS" >> "$TP_OUTPUT"'}
    runbook = await create_runbook(
        tenant,
        client,
        secrets=["HTTP_TOKEN"],
        actions=[{"name": "greet", "type": "echo", "values": {"greeting": "hi"}}, call, after],
    )
    done = await wait_for_execution(
        client, tenant.admin, await execute(client, tenant.admin, runbook["id"], {"host": "db1"})
    )
    assert done["status"] == "succeeded", done
    assert received[0]["path"] == "/echo?host=db1"
    assert received[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"
    step = done["steps"][1]
    assert step["outputs"]["status"] == 201
    assert step["outputs"]["body"] == {"received": {"host": "db1", "previous": "hi"}, "auth": "Bearer ***"}
    assert step["outputs"]["headers"]["content-type"] == "application/json"
    assert step["log"].startswith(f"POST {base}/echo?host=db1 -> 201 Created")
    assert done["outputs"]["seen"] == "201"
    assert TOKEN not in json.dumps(done)


async def test_an_unexpected_status_fails_the_action_and_text_bodies_stay_text(
    client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner, server: tuple[str, list[Any]]
) -> None:
    base, _ = server
    runbook = await create_runbook(
        tenant,
        client,
        actions=[
            {"name": "ping", "type": "http", "method": "GET", "url": base + "/plain"},
            {"name": "lookup", "type": "http", "method": "GET", "url": base + "/missing"},
        ],
    )
    done = await wait_for_execution(client, tenant.admin, await execute(client, tenant.admin, runbook["id"]))
    assert done["status"] == "failed"
    ping, lookup = done["steps"]
    assert (ping["status"], ping["outputs"]["body"]) == ("succeeded", "pong")
    assert (lookup["status"], lookup["exit_code"]) == ("failed", None)
    assert lookup["reason"] == "unexpected status 404 (expected 2xx)"
    assert lookup["outputs"]["body"] == {"error": "nope"}


async def test_hosts_outside_the_egress_allow_lists_are_never_contacted(
    client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner, server: tuple[str, list[Any]]
) -> None:
    base, received = server
    private = await create_runbook(
        tenant, client, actions=[{"name": "inside", "type": "http", "method": "GET", "url": "http://10.255.255.1/x"}]
    )
    local = await create_runbook(
        tenant, client, actions=[{"name": "local", "type": "http", "method": "GET", "url": base + "/plain"}]
    )
    denied = await wait_for_execution(client, tenant.admin, await execute(client, tenant.admin, private["id"]))
    assert denied["status"] == "failed"
    assert denied["steps"][0]["reason"].startswith("egress denied: The host '10.255.255.1' resolves to a non-public")

    narrowed = {"egress_allow_list": ["hooks.example.com"]}
    assert (await client.patch("/api/tenant", json=narrowed, headers=tenant.admin.headers)).status_code == 200
    refused = await wait_for_execution(client, tenant.admin, await execute(client, tenant.admin, local["id"]))
    assert refused["status"] == "failed"
    assert "not on this tenant's egress allow-list" in refused["steps"][0]["reason"]
    assert received == []
