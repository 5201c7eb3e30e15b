"""SSRF through notification channels: every way of naming a private address is refused when the channel is saved
(422 naming the field, nothing written) and when it sends (a channel stored before the rule existed: the delivery
is `dead` at once with the reason, and the local listener standing in for the internal service receives nothing).

The operator allows no private address here; the control tests run a worker that allows 127.0.0.1 and show the
same channels do reach the listeners, so the refusals are the guard's doing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tenantplane.jobs.registry import load_task_modules
from tenantplane.jobs.worker import ExecutionJobRunner, RunnerOptions
from tenantplane.kit import egress
from tenantplane.notifications.channel_config import parse_config, seal, split_secrets
from tenantplane.notifications.models import Channel
from tenantplane.settings import Settings
from tests.api.conftest import TenantContext
from tests.listeners import Listener, http_listener, smtp_listener

__all__ = ["http_listener", "smtp_listener"]  # the listeners are fixtures shared with the unit tests

CHANNELS = "/api/notifications/channels"
DELIVERIES = "/api/notifications/deliveries"
MAIL = "from=plane@example.com&to=ops@example.com&mode=insecure"
Worker = Callable[[str], AbstractAsyncContextManager[ExecutionJobRunner]]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared settings with no private address allowed: 127.0.0.1 stands for the internal network."""
    return settings.model_copy(update={"allowed_egress_hosts": ""})


@pytest.fixture
def worker_allowing(app: FastAPI, settings: Settings) -> Worker:
    """Runs an in-process worker whose operator allow-list is the one given (the API's stays empty)."""

    @asynccontextmanager
    async def run(allowed: str) -> AsyncIterator[ExecutionJobRunner]:
        load_task_modules()
        options = RunnerOptions(
            queues=["default"], concurrency=4, lease_seconds=5.0, heartbeat_seconds=0.5, poll_seconds=0.2
        )
        runner = ExecutionJobRunner(
            app.state.db, options, settings=settings.model_copy(update={"allowed_egress_hosts": allowed})
        )
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))
        try:
            yield runner
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=30)

    return run


SAVE_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("webhook", {"url": "http://10.0.0.1/hook"}, "config.url"),
    ("webhook", {"url": "http://169.254.169.254/latest/meta-data"}, "config.url"),
    ("email", {"host": "10.0.0.1", "from": "a@example.com"}, "config.host"),
    ("apprise", {"url": "json://10.0.0.1/x"}, "config.url"),
    ("apprise", {"url": "mmost://192.168.1.5/token"}, "config.url"),
    *[
        ("apprise", {"url": url}, "config.url")
        for url in (
            "json://2130706433:8399/",
            "json://2852039166/",
            "json://0x7f000001:9/",
            "json://localhost:9/",
            "json://[::1]:9/",
            "jsons://[::1]/",
            "json://[::127.0.0.1]:9/",
            "json://[::ffff:127.0.0.1]:9/",
            "json://[::ffff:169.254.169.254]/",
            "json://[64:ff9b::7f00:1]/",
            "json://[2002:7f00:1::1]/",
            "json://[fe80::1%25eth0]:9/",
            "xml://2130706433/",
            "form://0x0a000001/",
            "ntfy://2130706433/topic",
            "gotify://2852039166/token",
            "mmost://2130706433/token",
            f"mailto://93.184.216.34?smtp=127.0.0.1&{MAIL}",
            f"mailto://93.184.216.34?smtp=2130706433&{MAIL}",
            f"mailtos://93.184.216.34?smtp=[::1]&{MAIL}",
            f"mailto://93.184.216.34?smtp=localhost&{MAIL}",
            f"mailto://2130706433?{MAIL}",
        )
    ],
    *[
        ("webhook", {"url": url}, "config.url")
        for url in (
            "http://2130706433:9/",
            "http://2852039166/latest/meta-data",
            "http://0x7f000001/",
            "http://127.1/",
            "http://[::127.0.0.1]:9/",
            "http://[::ffff:127.0.0.1]/",
            "http://[64:ff9b::7f00:1]/",
            "http://[2002:7f00:1::1]/",
            "http://[fe80::1%25eth0]/",
        )
    ],
    *[
        ("email", {"host": host, "from": "plane@example.com"}, "config.host")
        for host in ("2130706433", "0x7f000001", "::1", "[::1]", "::ffff:127.0.0.1", "64:ff9b::a9fe:a9fe", "localhost")
    ],
]


async def test_each_ssrf_form_is_refused_at_save_naming_the_field(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    failures = []
    for channel_type, config, field in SAVE_CASES:
        body = {"name": "c", "type": channel_type, "config": config}
        response = await client.post(CHANNELS, json=body, headers=tenant.admin.headers)
        problem = response.json()
        if not (
            response.status_code == 422
            and problem["type"].endswith("/egress-denied")
            and [e["field"] for e in problem["errors"]] == [field]
            and "non-public address" in problem["detail"]
        ):
            failures.append(f"{config} -> {response.status_code} {problem}")
    assert failures == []
    assert (await client.get(CHANNELS, headers=tenant.admin.headers)).json()["items"] == []


UNPARSEABLE_APPRISE_URLS = [
    "json://[::1",
    "json://[",
    "json://[zz]/",
    f"mailto://?smtp=[&{MAIL}",
    "json://hooks.example.com/ json://2130706433/",
    "json://hooks.example.com/,json://127.0.0.1/",
    "json://%00/",
    "\u2603://x",
    "tgram://",
    "http://0177.0.0.1/",
]


async def test_an_apprise_url_apprise_cannot_take_as_one_url_is_422(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    failures = []
    for url in UNPARSEABLE_APPRISE_URLS:
        body = {"name": "c", "type": "apprise", "config": {"url": url}}
        response = await client.post(CHANNELS, json=body, headers=tenant.admin.headers)
        fields = [e["field"] for e in response.json().get("errors") or []]
        if response.status_code != 422 or fields != ["config.url"]:
            failures.append(f"{url!r} -> {response.status_code} {response.text}")
    assert failures == []
    assert (await client.get(CHANNELS, headers=tenant.admin.headers)).json()["items"] == []


async def test_a_webhook_url_its_client_cannot_send_to_is_422(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    for url in ("http://0177.0.0.1/", "http://[::1/"):
        body = {"name": "c", "type": "webhook", "config": {"url": url}}
        response = await client.post(CHANNELS, json=body, headers=tenant.admin.headers)
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == ["config.url"]


async def _stored(settings: Settings, t: TenantContext, channel_type: str, config: dict[str, Any]) -> str:
    """A channel written straight to the database, as one saved before today's rules would be."""
    public, secret = split_secrets(parse_config(channel_type, config))
    channel = Channel(
        id=uuid.uuid4(),
        tenant_id=uuid.UUID(t.id),
        name=f"old-{uuid.uuid4().hex[:6]}",
        type=channel_type,
        config=public,
        secret_config=seal(settings.resolved_secret_key, secret),
        max_attempts=3,
        backoff_seconds=0.05,
    )
    async with t.database.transaction() as session:
        session.add(channel)
    return str(channel.id)


async def _send_and_settle(client: httpx.AsyncClient, t: TenantContext, channel_id: str) -> dict[str, Any]:
    """Send the channel's test message; its delivery once it is sent or dead, as the deliveries API shows it."""
    sent = await client.post(f"{CHANNELS}/{channel_id}/test", headers=t.admin.headers)
    assert sent.status_code == 202, sent.text
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        params = {"channel_id": channel_id}
        items = (await client.get(DELIVERIES, params=params, headers=t.admin.headers)).json()["items"]
        if items and items[0]["status"] in ("sent", "dead"):
            delivery: dict[str, Any] = items[0]
            return delivery
        assert asyncio.get_running_loop().time() < deadline, f"the delivery did not settle: {items}"
        await asyncio.sleep(0.1)


def _send_cases(http_port: int, smtp_port: int) -> list[tuple[str, dict[str, Any]]]:
    mailto = f"mailto://93.184.216.34:{smtp_port}?{MAIL}&smtp="
    return [
        ("apprise", {"url": f"json://2130706433:{http_port}/apprise"}),
        ("apprise", {"url": f"json://0x7f000001:{http_port}/apprise"}),
        ("apprise", {"url": f"json://localhost:{http_port}/apprise"}),
        ("apprise", {"url": f"json://[::ffff:127.0.0.1]:{http_port}/apprise"}),
        ("apprise", {"url": f"json://[::1]:{http_port}/apprise"}),
        ("apprise", {"url": f"{mailto}127.0.0.1"}),
        ("apprise", {"url": f"{mailto}2130706433"}),
        ("webhook", {"url": f"http://2130706433:{http_port}/hook"}),
        ("webhook", {"url": f"http://127.1:{http_port}/hook"}),
        ("webhook", {"url": f"http://[::ffff:127.0.0.1]:{http_port}/hook"}),
        ("webhook", {"url": f"http://[::127.0.0.1]:{http_port}/hook"}),
        ("email", {"host": "2130706433", "port": smtp_port, "tls": "none", "from": "plane@example.com"}),
        ("email", {"host": "::ffff:127.0.0.1", "port": smtp_port, "tls": "none", "from": "plane@example.com"}),
    ]


async def test_each_ssrf_form_stored_before_the_rule_is_refused_at_send_and_nothing_arrives(
    client: httpx.AsyncClient,
    tenant: TenantContext,
    settings: Settings,
    worker: ExecutionJobRunner,
    http_listener: Listener,
    smtp_listener: Listener,
) -> None:
    failures = []
    for channel_type, config in _send_cases(http_listener.port, smtp_listener.port):
        delivery = await _send_and_settle(client, tenant, await _stored(settings, tenant, channel_type, config))
        error = delivery["last_error"] or ""
        if not (delivery["status"] == "dead" and delivery["attempts"] == 1 and "non-public address" in error):
            failures.append(f"{config}: {delivery['status']} after {delivery['attempts']}: {error}")
    assert failures == []
    assert http_listener.received == []
    assert smtp_listener.received == []


async def test_the_same_channels_reach_the_listeners_when_the_operator_allows_loopback(
    client: httpx.AsyncClient,
    tenant: TenantContext,
    settings: Settings,
    worker_allowing: Worker,
    http_listener: Listener,
    smtp_listener: Listener,
) -> None:
    mailto = f"mailto://93.184.216.34:{smtp_listener.port}?{MAIL}&smtp=2130706433"
    cases = [
        ("apprise", {"url": f"json://2130706433:{http_listener.port}/apprise"}),
        ("apprise", {"url": mailto}),
        ("webhook", {"url": f"http://127.1:{http_listener.port}/hook"}),
    ]
    async with worker_allowing("127.0.0.1"):
        for channel_type, config in cases:
            delivery = await _send_and_settle(client, tenant, await _stored(settings, tenant, channel_type, config))
            assert delivery["status"] == "sent", (config, delivery)
    assert sorted(http_listener.received) == ["/apprise", "/hook"]
    assert smtp_listener.received == [["ops@example.com"]]


async def test_a_name_that_rebinds_to_loopback_after_the_check_is_refused_when_apprise_connects(
    client: httpx.AsyncClient,
    tenant: TenantContext,
    settings: Settings,
    worker: ExecutionJobRunner,
    http_listener: Listener,
    smtp_listener: Listener,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Our checks are told localhost is a public address; Apprise's own lookup then gets the real answer, loopback,
    # as a rebinding DNS server would arrange between the check and the connection.
    public = [ipaddress.ip_address("93.184.216.34")]

    async def checked_answer(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        return public

    monkeypatch.setattr(egress, "_resolve", checked_answer)
    monkeypatch.setattr(egress, "_resolve_now", lambda host: public)
    for config in (
        {"url": f"json://localhost:{http_listener.port}/apprise"},
        {"url": f"mailto://93.184.216.34:{smtp_listener.port}?{MAIL}&smtp=localhost"},
    ):
        delivery = await _send_and_settle(client, tenant, await _stored(settings, tenant, "apprise", config))
        assert delivery["status"] == "dead", delivery
        assert delivery["attempts"] == 1
        assert "egress denied" in delivery["last_error"]
        assert "non-public address (127.0.0.1)" in delivery["last_error"] or "(::1)" in delivery["last_error"]
    assert http_listener.received == []
    assert smtp_listener.received == []


async def test_a_tenant_allow_list_narrowed_after_saving_stops_apprise_too(
    client: httpx.AsyncClient,
    tenant: TenantContext,
    settings: Settings,
    worker_allowing: Worker,
    http_listener: Listener,
) -> None:
    channel = await _stored(settings, tenant, "apprise", {"url": f"json://2130706433:{http_listener.port}/a"})
    narrowed = await client.patch(
        "/api/tenant", json={"egress_allow_list": ["hooks.example.com"]}, headers=tenant.admin.headers
    )
    assert narrowed.status_code == 200
    async with worker_allowing("127.0.0.1"):
        delivery = await _send_and_settle(client, tenant, channel)
    assert delivery["status"] == "dead"
    assert delivery["attempts"] == 1
    assert "tenant's egress allow-list" in delivery["last_error"]
    assert "2130706433" not in delivery["last_error"]  # the Apprise URL is a secret, its host too
    assert http_listener.received == []
