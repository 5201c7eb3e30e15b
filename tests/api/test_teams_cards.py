"""Microsoft Teams: approval notices posted to a Teams workflow webhook as Adaptive Cards, one per approver, whose
Approve / Reject buttons are that approver's signed links. A real HTTP server on 127.0.0.1 stands in for Teams.
"""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from tenantplane.jobs.worker import ExecutionJobRunner
from tenantplane.notifications.service import notify_users
from tests.api.action_link_helpers import open_link, token_of, use_link
from tests.api.conftest import TenantContext
from tests.api.sweep_approvals import create_definition, several, start_instance, step
from tests.api.test_notifications_delivery import HttpReceiver, _channel, _settled, receiver
from tests.jobs.conftest import wait_for

__all__ = ["receiver"]  # the local HTTP server fixture


async def test_an_approval_notice_is_an_adaptive_card_with_the_approvers_own_links(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI, receiver: HttpReceiver, worker: ExecutionJobRunner
) -> None:
    url = receiver.url("/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=s3cr3t-signature")
    channel = await _channel(client, tenant, {"name": "teams", "type": "teams", "config": {"url": url}})
    assert "s3cr3t" not in str(channel["config"])  # the URL's signature is a secret: stored encrypted, shown masked
    first, second = await several(tenant, app, 2, ["cab"])
    [requester] = await several(tenant, app, 1)
    definition = await create_definition(tenant, step("pair", 1, "role", "cab", min_approvals=2))
    instance = await start_instance(requester, definition["id"], {"item": "Laptop"})
    await wait_for(lambda: len(receiver.requests) >= 2)
    deliveries = await _settled(client, tenant, 2)
    assert sorted(d["destination"] for d in deliveries) == sorted([first.email, second.email])

    cards = {}
    for request in receiver.requests:
        assert request["path"].startswith("/workflows/abc/")
        assert "sig=s3cr3t-signature" in request["path"]
        message = request["json"]
        assert message["type"] == "message"
        [attachment] = message["attachments"]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        card = attachment["content"]
        assert (card["type"], card["version"], card["$schema"]) == (
            "AdaptiveCard",
            "1.4",
            "http://adaptivecards.io/schemas/adaptive-card.json",
        )
        assert all(action["type"] == "Action.OpenUrl" for action in card["actions"])
        assert [a["title"] for a in card["actions"]] == ["Approve", "Reject", "Open in Tenant Plane"]
        assert card["actions"][2]["url"].endswith(f"/approvals/instances/{instance['id']}")
        recipient = next(b["text"] for b in card["body"] if b["text"].startswith("For "))
        cards[recipient.removeprefix("For ")] = {a["title"]: a["url"] for a in card["actions"]}
        assert any("Laptop" in b["text"] for b in card["body"])
    assert set(cards) == {first.email, second.email}
    assert cards[first.email]["Approve"] != cards[second.email]["Approve"]  # each approver's own links

    shown = await open_link(client, token_of(cards[second.email]["Approve"]))
    assert shown.json()["person"] == second.email
    # A quorum of two: one approval through a link leaves the step waiting for the other, as in the app.
    assert (await use_link(client, token_of(cards[second.email]["Approve"]))).json()["status"] == "pending"
    assert (await use_link(client, token_of(cards[first.email]["Approve"]))).json()["status"] == "approved"


async def test_a_notice_that_asks_for_no_decision_does_not_go_to_teams(
    client: httpx.AsyncClient, tenant: TenantContext, receiver: HttpReceiver
) -> None:
    await _channel(client, tenant, {"name": "teams", "type": "teams", "config": {"url": receiver.url()}})
    someone = await tenant.user()
    async with tenant.database.transaction() as session:
        await notify_users(
            session,
            tenant_id=uuid.UUID(tenant.id),
            user_ids=[uuid.UUID(someone.id)],
            subject="Done",
            body="Your request",
        )
    deliveries = (await client.get("/api/notifications/deliveries", headers=tenant.admin.headers)).json()["items"]
    assert deliveries == []


async def test_a_teams_url_must_pass_the_egress_rules(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    body = {"name": "teams", "type": "teams", "config": {"url": "http://10.1.2.3/hook"}}
    refused = await client.post("/api/notifications/channels", json=body, headers=tenant.admin.headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "config.url"


async def test_a_teams_channels_test_message_is_a_card_without_decision_buttons(
    client: httpx.AsyncClient, tenant: TenantContext, receiver: HttpReceiver, worker: ExecutionJobRunner
) -> None:
    channel = await _channel(client, tenant, {"name": "teams", "type": "teams", "config": {"url": receiver.url()}})
    sent = await client.post(f"/api/notifications/channels/{channel['id']}/test", headers=tenant.admin.headers)
    assert sent.status_code == 202, sent.text
    [delivery] = await _settled(client, tenant, 1)
    assert delivery["status"] == "sent", delivery
    [request] = receiver.requests
    card = request["json"]["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard"
    assert [a["title"] for a in card["actions"]] in ([], ["Open in Tenant Plane"])
