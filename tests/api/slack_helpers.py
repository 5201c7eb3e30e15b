"""Shared steps of the Slack tests: the tenant's Slack app, an approval waiting on a Slack user, signed requests."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from tests.api.conftest import Actor, TenantContext
from tests.api.sweep_approvals import INSTANCES, create_definition, signed_in, start_instance, step
from tests.jobs.conftest import wait_for
from tests.support.slack_standin import BOT_TOKEN, SIGNING_SECRET, Call, SlackStandIn, signed

SLACK_APP = "/api/slack/app"


def interactivity(t: TenantContext) -> str:
    return f"/api/slack/interactivity/{t.slug}"


async def connect_slack(t: TenantContext) -> None:
    body = {"bot_token": BOT_TOKEN, "signing_secret": SIGNING_SECRET}
    response = await t.client.put(SLACK_APP, json=body, headers=t.admin.headers)
    assert response.status_code == 200, response.text


async def approver_in_slack(t: TenantContext, app: FastAPI, slack: SlackStandIn, slack_id: str) -> Actor:
    actor = await signed_in(t, app, roles=["cab"])
    slack.users[slack_id] = actor.email
    return actor


async def waiting_step(t: TenantContext, app: FastAPI, requester: Actor | None = None) -> dict[str, Any]:
    """An instance whose one step waits for the `cab` role."""
    definition = await create_definition(t, step("cab", 1, "role", "cab"))
    return await start_instance(requester or await signed_in(t, app), definition["id"], {"item": "Laptop"})


async def posted_to(slack: SlackStandIn, channel: str, count: int = 1) -> list[Call]:
    async def enough() -> bool:
        return len([c for c in slack.of("chat.postMessage") if c.args["channel"] == channel]) >= count

    await wait_for(enough)
    return [c for c in slack.of("chat.postMessage") if c.args["channel"] == channel]


def button_value(call: Call, action_id: str = "tenantplane_approve") -> str:
    blocks = call.args["blocks"]
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button in {blocks}")


async def send(t: TenantContext, payload: dict[str, Any], **signing: Any) -> httpx.Response:
    body, headers = signed(payload, **signing)
    return await t.client.post(interactivity(t), content=body, headers=headers)


async def instance_status(t: TenantContext, instance_id: str) -> str:
    response = await t.client.get(f"{INSTANCES}/{instance_id}", headers=t.admin.headers)
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


async def updates_of(slack: SlackStandIn, ts: str) -> list[Call]:
    async def updated() -> bool:
        return any(c.args.get("ts") == ts for c in slack.of("chat.update"))

    await wait_for(updated)
    return [c for c in slack.of("chat.update") if c.args.get("ts") == ts]


async def slack_rows(t: TenantContext) -> list[dict[str, Any]]:
    async with t.database.transaction() as session:
        rows = await session.execute(
            text("SELECT user_id::text, status, attempts, ts, outcome FROM slack_messages WHERE tenant_id = :t"),
            {"t": t.id},
        )
    return [dict(r._mapping) for r in rows]


async def sent_ts(t: TenantContext, user_id: str) -> str:
    """The Slack `ts` of the DM to this user, once it is sent."""
    found: list[str] = []

    async def sent() -> bool:
        found[:] = [r["ts"] for r in await slack_rows(t) if r["user_id"] == user_id and r["status"] == "sent"]
        return bool(found)

    await wait_for(sent)
    return found[0]
