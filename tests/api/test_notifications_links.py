"""Links in notifications are absolute in every channel: TENANTPLANE_PUBLIC_URL joined with the UI path.

Real deliveries to local servers (webhook and Apprise's json:// on an HTTP listener), the inbox API, and the UI paths
approval notices and the approvals inbox point at.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tenantplane.jobs.worker import ExecutionJobRunner
from tenantplane.notifications.service import notify, notify_users
from tenantplane.settings import Settings
from tests.api.conftest import TenantContext
from tests.api.sweep_approvals import create_definition, start_instance
from tests.api.sweep_approvals import step as itsm_step
from tests.api.sweep_automation import create_workflow, execute_workflow, pending_gate, step, wait_until, workflow_body
from tests.api.test_notifications_delivery import HttpReceiver, _channel, _settled, receiver

__all__ = ["receiver"]  # the local HTTP server fixture
PUBLIC_URL = "https://plane.example.com/itsm"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test app's settings, served behind a proxy at a path prefix."""
    return Settings.model_validate({**settings.model_dump(), "public_url": PUBLIC_URL + "/"})


async def _sent(
    client: httpx.AsyncClient, tenant: TenantContext, receiver: HttpReceiver, channel: str, **message: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Notify through `channel` and wait for the one delivery: (the delivery as the API shows it, what arrived)."""
    async with tenant.database.transaction() as session:
        await notify(session, tenant_id=uuid.UUID(tenant.id), channel=channel, **message)
    [delivery] = await _settled(client, tenant, 1)
    assert delivery["status"] == "sent", delivery
    [request] = receiver.requests
    return delivery, request


async def test_a_webhook_payload_carries_the_link_absolute_and_the_delivery_log_shows_both(
    client: httpx.AsyncClient, tenant: TenantContext, receiver: HttpReceiver, worker: ExecutionJobRunner
) -> None:
    await _channel(client, tenant, {"name": "hook", "type": "webhook", "config": {"url": receiver.url()}})
    delivery, request = await _sent(
        client, tenant, receiver, "hook", subject="Disk full", body="See {{ link }}", link="/executions/42"
    )
    assert request["json"]["link"] == f"{PUBLIC_URL}/executions/42"
    assert request["json"]["body"] == f"See {PUBLIC_URL}/executions/42"  # the template variable too
    assert (delivery["link"], delivery["url"]) == ("/executions/42", f"{PUBLIC_URL}/executions/42")


async def test_an_apprise_message_ends_with_the_absolute_link(
    client: httpx.AsyncClient, tenant: TenantContext, receiver: HttpReceiver, worker: ExecutionJobRunner
) -> None:
    url = receiver.url("/apprise", scheme="json")
    await _channel(client, tenant, {"name": "slack-ish", "type": "apprise", "config": {"url": url}})
    message = {"subject": "Approval needed", "body": "REQ0000042 waits for you.", "link": "/approvals/instances/7"}
    _, request = await _sent(client, tenant, receiver, "slack-ish", **message)
    assert request["json"]["message"] == f"REQ0000042 waits for you.\n\nOpen: {PUBLIC_URL}/approvals/instances/7"


async def test_an_absolute_link_is_sent_as_it_is(
    client: httpx.AsyncClient, tenant: TenantContext, receiver: HttpReceiver, worker: ExecutionJobRunner
) -> None:
    await _channel(client, tenant, {"name": "hook", "type": "webhook", "config": {"url": receiver.url()}})
    link = "https://wiki.example.com/runbooks/disk"
    _, request = await _sent(client, tenant, receiver, "hook", subject="Runbook docs", body="{{ link }}", link=link)
    assert request["json"]["link"] == request["json"]["body"] == "https://wiki.example.com/runbooks/disk"


async def test_a_message_without_a_link_renders_link_as_nothing_and_sends_none(
    client: httpx.AsyncClient, tenant: TenantContext, receiver: HttpReceiver, worker: ExecutionJobRunner
) -> None:
    await _channel(client, tenant, {"name": "hook", "type": "webhook", "config": {"url": receiver.url()}})
    _, request = await _sent(client, tenant, receiver, "hook", subject="s", body="[{{ link }}]", context={})
    assert (request["json"]["link"], request["json"]["body"]) == (None, "[]")


async def test_the_inbox_keeps_the_ui_path_and_adds_the_absolute_url(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    ada = await tenant.user()
    inbox = await _channel(client, tenant, {"name": "inbox", "type": "in_app", "config": {"users": [ada.id]}})
    async with tenant.database.transaction() as session:
        await notify_users(
            session, tenant_id=uuid.UUID(tenant.id), user_ids=[uuid.UUID(ada.id)], subject="a", body="b", link="/x/1"
        )
        await notify(
            session, tenant_id=uuid.UUID(tenant.id), channel=inbox["id"], subject="c", body="{{ link }}", link="y/2"
        )
    items = (await client.get("/api/notifications", headers=ada.headers)).json()["items"]
    assert [(n["link"], n["url"], n["body"]) for n in items] == [
        ("y/2", f"{PUBLIC_URL}/y/2", f"{PUBLIC_URL}/y/2"),
        ("/x/1", f"{PUBLIC_URL}/x/1", "b"),
    ]
    read = await client.post(f"/api/notifications/{items[1]['id']}/read", headers=ada.headers)
    assert read.json()["url"] == f"{PUBLIC_URL}/x/1"


async def test_an_automation_notification_step_links_its_execution_page(
    client: httpx.AsyncClient, tenant: TenantContext, receiver: HttpReceiver, worker: ExecutionJobRunner
) -> None:
    await _channel(client, tenant, {"name": "hook", "type": "webhook", "config": {"url": receiver.url()}})
    body = workflow_body(step("tell", "notification", channel="hook", subject="Done", body="Run: {{ link }}"))
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    await wait_until(tenant.admin, execution, {"succeeded"})
    await _settled(client, tenant, 1)
    [request] = receiver.requests
    page = f"{PUBLIC_URL}/executions/{execution}"  # the execution's page in the web UI
    assert (request["json"]["link"], request["json"]["body"]) == (page, f"Run: {page}")


async def _approvals_inbox(actor_headers: dict[str, str], client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get("/api/approvals/inbox", headers=actor_headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_the_approvals_inbox_and_approval_notices_link_ui_pages_not_the_api(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner
) -> None:
    approver = await tenant.user()
    definition = await create_definition(tenant, itsm_step("lead", 1, "user", approver.id))
    instance = await start_instance(tenant.admin, definition["id"], {"item": "Laptop"})
    gated = workflow_body(step("ok", "approval", approvers=[{"type": "user", "value": approver.id}], message="Go?"))
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, gated))["id"]))
    gate = await pending_gate(tenant.admin, execution)
    items = await _approvals_inbox(approver.headers, client)
    assert sorted((i["kind"], i["link"]) for i in items) == [
        ("automation", f"/approvals/gates/{gate['id']}"),
        ("itsm", f"/approvals/instances/{instance['id']}"),
    ]
    deadline = asyncio.get_running_loop().time() + 15  # the ITSM notice is a job (approvals.notify)
    while len(notices := (await client.get("/api/notifications", headers=approver.headers)).json()["items"]) < 2:
        assert asyncio.get_running_loop().time() < deadline, notices
        await asyncio.sleep(0.1)
    assert sorted(n["url"] for n in notices) == sorted(f"{PUBLIC_URL}{i['link']}" for i in items)
    assert all(n["link"] not in n["body"] for n in notices)  # no relative path in the text
