"""Deliveries through real local servers: SMTP (aiosmtpd), webhooks and Apprise (a local HTTP server), retries.

The in-process worker runs `notifications.deliver`; it reads its settings from the environment, set here.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tenantplane.jobs.worker import ExecutionJobRunner
from tenantplane.kit.errors import ValidationFailed
from tenantplane.notifications.service import notify, notify_users
from tenantplane.notifications.templates import check_template
from tests.api.conftest import TenantContext
from tests.live_server import free_port

CHANNELS = "/api/notifications/channels"
DELIVERIES = "/api/notifications/deliveries"
FAST_RETRY = {"max_attempts": 3, "backoff_seconds": 0.05}


@dataclass
class HttpReceiver:
    """A local HTTP server that records every request and answers with `status`."""

    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0

    def url(self, path: str = "/hook", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    state = HttpReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(raw or b"{}")})
            self.send_response(state.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"no" if state.status >= 300 else b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@dataclass
class MailServer:
    port: int
    messages: list[tuple[str, list[str], Message]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)


@pytest.fixture
def smtp_server() -> Iterator[MailServer]:
    """A real SMTP server on 127.0.0.1 that accepts AUTH (without TLS, as this is a test) and keeps each message."""
    state = MailServer(port=free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            state.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
            return "250 OK"

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        state.logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"smtp-pa55word")

    controller = Controller(
        Handler(), hostname="127.0.0.1", port=state.port, authenticator=authenticate, auth_require_tls=False
    )
    controller.start()
    yield state
    controller.stop()


async def _channel(client: httpx.AsyncClient, t: TenantContext, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(CHANNELS, json=body, headers=t.admin.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def _settled(
    client: httpx.AsyncClient, t: TenantContext, count: int, timeout: float = 20
) -> list[dict[str, Any]]:
    """The tenant's deliveries once `count` of them are sent or dead (newest first)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        items = (await client.get(DELIVERIES, headers=t.admin.headers)).json()["items"]
        done = [d for d in items if d["status"] in ("sent", "dead")]
        if len(done) >= count:
            return items
        assert asyncio.get_running_loop().time() < deadline, f"deliveries did not settle: {items}"
        await asyncio.sleep(0.1)


async def test_email_goes_to_each_recipient_with_the_rendered_template(
    client: httpx.AsyncClient,
    tenant: TenantContext,
    smtp_server: MailServer,
    worker: ExecutionJobRunner,
) -> None:
    config = {
        "host": "127.0.0.1",
        "port": smtp_server.port,
        "tls": "none",
        "username": "mailer",
        "password": "smtp-pa55word",
        "from": "tenant-plane@example.com",
    }
    channel = await _channel(client, tenant, {"name": "mail", "type": "email", "config": config})
    ada, bob = await tenant.user(), await tenant.user()
    async with tenant.database.transaction() as session:
        await notify(
            session,
            tenant_id=uuid.UUID(tenant.id),
            channel="mail",
            subject="Request {{ request.number }} is {{ status }}",
            body="Hello,\n{{ request.number }} was {{ status }} by {{ approver }}.",
            context={"request": {"number": "REQ0001234"}, "status": "approved", "approver": "Grace"},
            recipients=[uuid.UUID(ada.id), uuid.UUID(bob.id)],
            link="https://plane.example.com/requests/1",
        )
    deliveries = await _settled(client, tenant, 2)
    assert {d["status"] for d in deliveries} == {"sent"}
    assert {d["channel_id"] for d in deliveries} == {channel["id"]}
    assert sorted(rcpt for _, rcpts, _ in smtp_server.messages for rcpt in rcpts) == sorted([ada.email, bob.email])
    assert smtp_server.logins == [("mailer", "smtp-pa55word")] * 2
    for sender, _, message in smtp_server.messages:
        assert sender == "tenant-plane@example.com"
        assert message["Subject"] == "Request REQ0001234 is approved"
        assert "REQ0001234 was approved by Grace." in message.get_payload()
        assert "https://plane.example.com/requests/1" in message.get_payload()


async def test_webhook_receives_the_message_as_json_with_its_headers(
    client: httpx.AsyncClient,
    tenant: TenantContext,
    receiver: HttpReceiver,
    worker: ExecutionJobRunner,
) -> None:
    headers = {"Authorization": "Bearer hook-secret-123", "X-Team": "ops"}
    channel = await _channel(
        client, tenant, {"name": "hook", "type": "webhook", "config": {"url": receiver.url(), "headers": headers}}
    )
    sent = await client.post(f"{CHANNELS}/{channel['id']}/test", headers=tenant.admin.headers)
    assert sent.status_code == 202, sent.text
    [delivery] = await _settled(client, tenant, 1)
    assert delivery["status"] == "sent"
    assert delivery["attempts"] == 1
    [request] = receiver.requests
    assert request["path"] == "/hook"
    assert request["headers"]["Authorization"] == "Bearer hook-secret-123"
    assert request["headers"]["X-Team"] == "ops"
    assert request["json"]["subject"] == "Test notification from Tenant Plane"
    assert (
        request["json"]["body"] == f"This is a test of the notification channel 'hook', sent by {tenant.admin.email}."
    )
    assert request["json"]["delivery_id"] == delivery["id"]


async def test_a_failing_webhook_is_retried_with_backoff_then_dead_and_visible(
    client: httpx.AsyncClient,
    tenant: TenantContext,
    receiver: HttpReceiver,
    worker: ExecutionJobRunner,
) -> None:
    receiver.status = 500
    body = {"name": "flaky", "type": "webhook", "config": {"url": receiver.url()}, "retry": FAST_RETRY}
    channel = await _channel(client, tenant, body)
    await client.post(f"{CHANNELS}/{channel['id']}/test", headers=tenant.admin.headers)
    [delivery] = await _settled(client, tenant, 1)
    assert delivery["status"] == "dead"
    assert delivery["attempts"] == 3
    assert "HTTP 500" in delivery["last_error"]
    assert len(receiver.requests) == 3
    dead = await client.get(
        DELIVERIES, params={"status": "dead", "channel_id": channel["id"]}, headers=tenant.admin.headers
    )
    assert [d["id"] for d in dead.json()["items"]] == [delivery["id"]]
    job = await client.get(f"/api/jobs/{delivery['job_id']}", headers=tenant.admin.headers)
    assert job.json()["status"] == "dead"

    receiver.status = 200  # the receiver is fixed: the operator retries the dead delivery
    retried = await client.post(f"{DELIVERIES}/{delivery['id']}/retry", headers=tenant.admin.headers)
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "queued"
    deadline = asyncio.get_running_loop().time() + 10
    while (await client.get(DELIVERIES, headers=tenant.admin.headers)).json()["items"][0]["status"] != "sent":
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.1)
    assert len(receiver.requests) == 4
    again = await client.post(f"{DELIVERIES}/{delivery['id']}/retry", headers=tenant.admin.headers)
    assert again.status_code == 409


async def test_a_failed_attempt_shows_when_it_is_tried_again(
    client: httpx.AsyncClient,
    tenant: TenantContext,
    receiver: HttpReceiver,
    worker: ExecutionJobRunner,
) -> None:
    receiver.status = 503
    body = {"name": "slow", "type": "webhook", "config": {"url": receiver.url()}, "retry": {"backoff_seconds": 60}}
    channel = await _channel(client, tenant, body)
    await client.post(f"{CHANNELS}/{channel['id']}/test", headers=tenant.admin.headers)
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        [delivery] = (await client.get(DELIVERIES, headers=tenant.admin.headers)).json()["items"]
        if delivery["status"] == "failed" and delivery["next_attempt_at"]:  # the job records its retry time last
            break
        assert asyncio.get_running_loop().time() < deadline, delivery
        await asyncio.sleep(0.1)
    assert delivery["attempts"] == 1
    assert "HTTP 503" in delivery["last_error"]
    assert delivery["next_attempt_at"] is not None


async def test_apprise_delivers_through_a_json_url_to_a_local_server(
    client: httpx.AsyncClient,
    tenant: TenantContext,
    receiver: HttpReceiver,
    worker: ExecutionJobRunner,
) -> None:
    url = receiver.url("/apprise", scheme="json")
    await _channel(client, tenant, {"name": "apprise", "type": "apprise", "config": {"url": url}})
    async with tenant.database.transaction() as session:
        await notify(
            session,
            tenant_id=uuid.UUID(tenant.id),
            channel="apprise",
            subject="Disk {{ host }}",
            body="{{ host }} is at {{ pct }}%",
            context={"host": "db1", "pct": 97},
        )
    [delivery] = await _settled(client, tenant, 1)
    assert delivery["status"] == "sent", delivery
    assert delivery["destination"] == "json://********"
    [request] = receiver.requests
    assert request["path"] == "/apprise"
    assert request["json"]["title"] == "Disk db1"
    assert request["json"]["message"] == "db1 is at 97%"


async def test_apprise_failures_are_retried_and_never_show_the_url(
    client: httpx.AsyncClient,
    tenant: TenantContext,
    receiver: HttpReceiver,
    worker: ExecutionJobRunner,
) -> None:
    receiver.status = 500
    url = receiver.url("/apprise/tok3n-abcdef", scheme="json")
    body = {
        "name": "apprise",
        "type": "apprise",
        "config": {"url": url},
        "retry": {"max_attempts": 2, "backoff_seconds": 0.05},
    }
    channel = await _channel(client, tenant, body)
    await client.post(f"{CHANNELS}/{channel['id']}/test", headers=tenant.admin.headers)
    [delivery] = await _settled(client, tenant, 1)
    assert delivery["status"] == "dead"
    assert delivery["attempts"] == 2
    assert delivery["last_error"].startswith("DeliveryFailed: Apprise (json://)")
    assert "tok3n-abcdef" not in json.dumps(delivery)


async def test_a_template_error_is_a_dead_delivery_and_the_callers_change_still_commits(
    client: httpx.AsyncClient, tenant: TenantContext, receiver: HttpReceiver
) -> None:
    await _channel(client, tenant, {"name": "hook", "type": "webhook", "config": {"url": receiver.url()}})
    cases = {
        "{{ missing }}": "'missing' is undefined",
        "{{ ''.__class__.__mro__ }}": "SecurityError",
        "{{ 'x' * 100000000 }}": "string would be longer than 262,144 characters",
        "{% if %}": "does not parse",
    }
    for body, error in cases.items():
        async with tenant.database.transaction() as session:
            [delivery] = await notify(
                session, tenant_id=uuid.UUID(tenant.id), channel="hook", subject="s", body=body, context={}
            )
            assert delivery.status == "dead"
            assert delivery.job_id is None
            assert error in (delivery.last_error or ""), delivery.last_error
    listed = (await client.get(DELIVERIES, params={"status": "dead"}, headers=tenant.admin.headers)).json()
    assert len(listed["items"]) == len(cases)
    refused = await client.post(f"{DELIVERIES}/{listed['items'][0]['id']}/retry", headers=tenant.admin.headers)
    assert refused.status_code == 409
    assert receiver.requests == []


def test_templates_are_checked_when_they_are_defined() -> None:
    check_template("Hello {{ inputs.name }}", field="steps.0.config.body", names={"inputs", "steps"})
    with pytest.raises(ValidationFailed) as bad_syntax:
        check_template("{% if %}", field="steps.0.config.body")
    assert bad_syntax.value.errors == [
        {"field": "steps.0.config.body", "message": bad_syntax.value.errors[0]["message"]}
    ]
    with pytest.raises(ValidationFailed, match="uses nope"):
        check_template("{{ nope }}", field="steps.0.config.subject", names={"inputs"})


async def test_egress_is_checked_again_when_sending(
    client: httpx.AsyncClient,
    tenant: TenantContext,
    receiver: HttpReceiver,
    worker: ExecutionJobRunner,
) -> None:
    channel = await _channel(client, tenant, {"name": "hook", "type": "webhook", "config": {"url": receiver.url()}})
    narrowed = await client.patch(
        "/api/tenant", json={"egress_allow_list": ["hooks.example.com"]}, headers=tenant.admin.headers
    )
    assert narrowed.status_code == 200
    await client.post(f"{CHANNELS}/{channel['id']}/test", headers=tenant.admin.headers)
    [delivery] = await _settled(client, tenant, 1)
    assert delivery["status"] == "dead"
    assert delivery["attempts"] == 1  # refused for good, not retried
    assert "egress allow-list" in delivery["last_error"]
    assert receiver.requests == []


async def test_notify_users_fills_inboxes_and_mails_through_the_default_channel(
    client: httpx.AsyncClient,
    tenant: TenantContext,
    make_tenant: Any,
    smtp_server: MailServer,
    worker: ExecutionJobRunner,
) -> None:
    config = {"host": "127.0.0.1", "port": smtp_server.port, "tls": "none", "from": "plane@example.com"}
    await _channel(client, tenant, {"name": "mail", "type": "email", "config": config, "default": True})
    approver = await tenant.user()
    stranger = await (await make_tenant()).member()
    async with tenant.database.transaction() as session:
        items = await notify_users(
            session,
            tenant_id=uuid.UUID(tenant.id),
            user_ids=[uuid.UUID(approver.id), uuid.UUID(stranger)],
            subject="Approval needed: {{ not a template }}",
            body="REQ0000042 waits for your decision.",
            link="/approvals/42",
        )
    assert [str(i.user_id) for i in items] == [approver.id]
    inbox = (await client.get("/api/notifications", headers=approver.headers)).json()["items"]
    assert [(n["subject"], n["link"]) for n in inbox] == [("Approval needed: {{ not a template }}", "/approvals/42")]
    [delivery] = await _settled(client, tenant, 1)
    assert delivery["status"] == "sent"
    [(_, rcpts, message)] = smtp_server.messages
    assert rcpts == [approver.email]
    assert message["Subject"] == "Approval needed: {{ not a template }}"
