"""The in-app inbox: entries for a channel's users and group members, read/unread, read-all, privacy, pagination."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tenantplane.notifications.service import notify, notify_users
from tests.api.conftest import Actor, TenantContext

INBOX = "/api/notifications"


async def _in_app_channel(client: httpx.AsyncClient, t: TenantContext, config: dict[str, Any]) -> str:
    response = await client.post(
        "/api/notifications/channels",
        json={"name": "inbox", "type": "in_app", "config": config},
        headers=t.admin.headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _inbox(client: httpx.AsyncClient, actor: Actor, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(INBOX, params=params, headers=actor.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _send(t: TenantContext, channel: str, subject: str, **extra: Any) -> None:
    async with t.database.transaction() as session:
        await notify(session, tenant_id=uuid.UUID(t.id), channel=channel, subject=subject, body="b", **extra)


async def test_an_in_app_channel_reaches_its_users_and_the_members_of_its_groups(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    direct, member, also_direct = await tenant.user(), await tenant.user(), await tenant.user()
    retired = await tenant.member()
    group = (await client.post("/api/groups", json={"name": "cab"}, headers=tenant.admin.headers)).json()["id"]
    for user_id in (member.id, also_direct.id, retired):
        await client.post(f"/api/groups/{group}/members", json={"user_id": user_id}, headers=tenant.admin.headers)
    await client.patch(f"/api/users/{retired}", json={"is_active": False}, headers=tenant.admin.headers)
    await _in_app_channel(client, tenant, {"users": [direct.id, also_direct.id], "groups": [group]})
    await _send(
        tenant,
        "inbox",
        "Change {{ number }} needs CAB review",
        context={"number": "CHG0000007"},
        link="/changes/7",
    )
    for actor in (direct, member, also_direct):
        [entry] = await _inbox(client, actor)
        assert entry["subject"] == "Change CHG0000007 needs CAB review"
        assert entry["link"] == "/changes/7"
        assert entry["read_at"] is None
    assert await _inbox(client, tenant.admin) == []
    deliveries = (await client.get("/api/notifications/deliveries", headers=tenant.admin.headers)).json()["items"]
    assert sorted(d["recipient_user_id"] for d in deliveries) == sorted([direct.id, member.id, also_direct.id])
    assert {d["status"] for d in deliveries} == {"sent"}


async def test_named_recipients_replace_the_channels_own(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    listed, named = await tenant.user(), await tenant.user()
    await _in_app_channel(client, tenant, {"users": [listed.id]})
    await _send(tenant, "inbox", "only for you", recipients=[uuid.UUID(named.id)])
    assert [e["subject"] for e in await _inbox(client, named)] == ["only for you"]
    assert await _inbox(client, listed) == []


async def test_reading_one_then_all(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    reader = await tenant.user()
    await _in_app_channel(client, tenant, {"users": [reader.id]})
    for n in range(3):
        await _send(tenant, "inbox", f"n{n}")
    first = (await _inbox(client, reader))[-1]
    read = await client.post(f"{INBOX}/{first['id']}/read", headers=reader.headers)
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    again = await client.post(f"{INBOX}/{first['id']}/read", headers=reader.headers)
    assert again.json()["read_at"] == read.json()["read_at"]
    assert [e["subject"] for e in await _inbox(client, reader, unread=True)] == ["n2", "n1"]
    everything = await client.post(f"{INBOX}/read-all", headers=reader.headers)
    assert everything.json() == {"marked": 2}
    assert await _inbox(client, reader, unread=True) == []
    assert len(await _inbox(client, reader)) == 3


async def test_nobody_reads_or_marks_another_users_inbox(
    client: httpx.AsyncClient, tenant: TenantContext, make_tenant: Any
) -> None:
    owner, colleague = await tenant.user(), await tenant.user()
    await _in_app_channel(client, tenant, {"users": [owner.id]})
    await _send(tenant, "inbox", "private")
    [entry] = await _inbox(client, owner)
    assert await _inbox(client, colleague) == []
    assert await _inbox(client, tenant.admin) == []
    for intruder in (colleague, tenant.admin, (await make_tenant()).admin):
        response = await client.post(f"{INBOX}/{entry['id']}/read", headers=intruder.headers)
        assert response.status_code == 404
        await client.post(f"{INBOX}/read-all", headers=intruder.headers)
    assert (await _inbox(client, owner))[0]["read_at"] is None


async def test_the_inbox_is_paginated_newest_first(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    reader = await tenant.user()
    await _in_app_channel(client, tenant, {"users": [reader.id]})
    for n in range(5):
        await _send(tenant, "inbox", f"n{n}")
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(INBOX, params=params, headers=reader.headers)).json()
        seen += [e["subject"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["n4", "n3", "n2", "n1", "n0"]


async def test_notify_users_without_a_default_channel_writes_only_inbox_entries(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    requester = await tenant.user()
    async with tenant.database.transaction() as session:
        await notify_users(
            session,
            tenant_id=uuid.UUID(tenant.id),
            user_ids=[uuid.UUID(requester.id)],
            subject="REQ0000001 was\napproved",
            body="Fulfillment starts now.",
        )
    [entry] = await _inbox(client, requester)
    assert entry["subject"] == "REQ0000001 was approved"
    assert entry["body"] == "Fulfillment starts now."
    assert (await client.get("/api/notifications/deliveries", headers=tenant.admin.headers)).json()["items"] == []
