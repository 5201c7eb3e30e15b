"""Sweep registry entries for the notification routes (see tests/api/sweeps.py)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import text

from tests.api.conftest import TenantContext
from tests.api.sweeps import BodyFor, Call, Factory, Ids, Setup

CHANNELS = "/api/notifications/channels"


def webhook_body(name: str | None = None, url: str = "http://127.0.0.1:9/hook") -> dict[str, Any]:
    """A webhook channel to a local port nothing listens on: valid to save, never reached without a worker."""
    return {"name": name or f"hook-{uuid.uuid4().hex[:6]}", "type": "webhook", "config": {"url": url}}


async def channel_id(t: TenantContext, c: httpx.AsyncClient) -> str:
    r = await c.post(CHANNELS, json=webhook_body(), headers=t.admin.headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def delivery_id(t: TenantContext, c: httpx.AsyncClient) -> str:
    """A queued webhook delivery (the "send test" button), as an operator would find it in the log."""
    r = await c.post(f"{CHANNELS}/{await channel_id(t, c)}/test", headers=t.admin.headers)
    assert r.status_code == 202, r.text
    return str(r.json()["deliveries"][0]["id"])


async def notification_id(t: TenantContext, c: httpx.AsyncClient) -> str:
    """An unread entry in the tenant admin's in-app inbox."""
    body = {"name": f"inbox-{uuid.uuid4().hex[:6]}", "type": "in_app", "config": {"users": [t.admin.id]}}
    channel = await c.post(CHANNELS, json=body, headers=t.admin.headers)
    assert channel.status_code == 201, channel.text
    sent = await c.post(f"{CHANNELS}/{channel.json()['id']}/test", headers=t.admin.headers)
    assert sent.status_code == 202, sent.text
    inbox = await c.get("/api/notifications", params={"unread": True, "limit": 1}, headers=t.admin.headers)
    return str(inbox.json()["items"][0]["id"])


async def dead_delivery_id(t: TenantContext, c: httpx.AsyncClient) -> str:
    found = await delivery_id(t, c)
    async with t.database.transaction() as session:
        await session.execute(
            text("UPDATE notification_deliveries SET status = 'dead', attempts = 5, last_error = 'boom' WHERE id = :d"),
            {"d": uuid.UUID(found)},
        )
    return found


FACTORIES: dict[str, Factory] = {
    "channel_id": channel_id,
    "delivery_id": delivery_id,
    "notification_id": notification_id,
}
BODIES: dict[tuple[str, str], BodyFor] = {
    ("put", "/api/notifications/channels/{channel_id}"): lambda ids: webhook_body(),
}


async def _nothing(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {}


async def _channel(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {"channel": await channel_id(t, c)}


async def _dead_delivery(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {"delivery": await dead_delivery_id(t, c)}


async def _unread(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {"notification": await notification_id(t, c)}


def _post(path: str, json: dict[str, Any] | None = None) -> Call:
    async def call(c: httpx.AsyncClient, t: TenantContext, ids: Ids) -> httpx.Response:
        return await c.post(path.format(**ids), json=json, headers=t.admin.headers)

    return call


async def _replace(c: httpx.AsyncClient, t: TenantContext, ids: Ids) -> httpx.Response:
    return await c.put(f"{CHANNELS}/{ids['channel']}", json=webhook_body("renamed"), headers=t.admin.headers)


async def _delete(c: httpx.AsyncClient, t: TenantContext, ids: Ids) -> httpx.Response:
    return await c.delete(f"{CHANNELS}/{ids['channel']}", headers=t.admin.headers)


AUDIT_SCENARIOS: dict[tuple[str, str], tuple[Setup, Call]] = {
    ("post", CHANNELS): (_nothing, _post(CHANNELS, webhook_body())),
    ("put", f"{CHANNELS}/{{channel_id}}"): (_channel, _replace),
    ("delete", f"{CHANNELS}/{{channel_id}}"): (_channel, _delete),
    ("post", f"{CHANNELS}/{{channel_id}}/test"): (_channel, _post(CHANNELS + "/{channel}/test")),
    ("post", "/api/notifications/deliveries/{delivery_id}/retry"): (
        _dead_delivery,
        _post("/api/notifications/deliveries/{delivery}/retry"),
    ),
    # Read receipts are audited too: "the approver was told" is evidence (PRODUCT.md §10), and §2 says every mutation.
    ("post", "/api/notifications/read-all"): (_nothing, _post("/api/notifications/read-all")),
    ("post", "/api/notifications/{notification_id}/read"): (_unread, _post("/api/notifications/{notification}/read")),
}
