"""Slack approval DMs through the queue: decided elsewhere updates them, a Slack failure retries, gates get them,
and each person's notification preferences (e-mail, Slack DM; the inbox always) are honoured.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import text

from tenantplane.jobs.worker import ExecutionJobRunner
from tenantplane.settings import Settings
from tests.api.conftest import TenantContext
from tests.api.slack_helpers import (
    SLACK_APP,
    approver_in_slack,
    button_value,
    connect_slack,
    posted_to,
    send,
    sent_ts,
    slack_rows,
    updates_of,
    waiting_step,
)
from tests.api.sweep_approvals import decide
from tests.api.sweep_automation import GATES, create_workflow, execute_workflow, pending_gate, step, workflow_body
from tests.api.sweep_automation import wait_until as wait_for_execution
from tests.jobs.conftest import wait_for
from tests.support.slack_standin import SlackStandIn, button, running_slack


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with running_slack() as stand_in:
        yield stand_in


@pytest.fixture
def settings(settings: Settings, slack: SlackStandIn) -> Settings:
    return settings.model_copy(update={"slack_api_url": slack.url})


async def test_the_app_settings_are_write_only_and_test_calls_auth_test(
    tenant: TenantContext, slack: SlackStandIn
) -> None:
    headers = tenant.admin.headers
    assert (await tenant.client.get(SLACK_APP, headers=headers)).status_code == 404
    missing = await tenant.client.put(SLACK_APP, json={"bot_token": "xoxb-1234567890"}, headers=headers)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "signing_secret"
    bad = await tenant.client.put(SLACK_APP, json={"bot_token": "not a token", "signing_secret": "x"}, headers=headers)
    assert bad.status_code == 422
    assert {"bot_token", "signing_secret"} <= {e["field"] for e in bad.json()["errors"]}
    await connect_slack(tenant)
    read = (await tenant.client.get(SLACK_APP, headers=headers)).json()
    assert (read["has_bot_token"], read["has_signing_secret"]) == (True, True)
    assert "xoxb" not in str(read)
    assert read["interactivity_url"].endswith(f"/api/slack/interactivity/{tenant.slug}")
    tested = (await tenant.client.post(f"{SLACK_APP}/test", headers=headers)).json()
    assert tested == {"ok": True, "team_id": "T0PLANE", "team": "Plane", "bot_user_id": "UBOT", "error": None}
    kept = await tenant.client.put(SLACK_APP, json={"enabled": False}, headers=headers)
    assert (kept.status_code, kept.json()["has_bot_token"], kept.json()["enabled"]) == (200, True, False)
    member = await tenant.user()
    assert (await tenant.client.get(SLACK_APP, headers=member.headers)).status_code == 403


async def test_decided_elsewhere_updates_the_slack_message(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner, slack: SlackStandIn
) -> None:
    await connect_slack(tenant)
    approver = await approver_in_slack(tenant, app, slack, "U1")
    instance = await waiting_step(tenant, app)
    ts = await sent_ts(tenant, approver.id)
    assert (await decide(approver, instance["id"], comment="fine")).status_code == 200  # in the inbox, not Slack
    [update] = await updates_of(slack, ts)
    assert "Approved by" in update.args["text"]
    assert "fine" in update.args["text"]
    [row] = await slack_rows(tenant)
    assert row["outcome"]["status"] == "approved"
    [dm] = slack.of("chat.postMessage")
    late = await send(tenant, button("U1", "tenantplane_approve", button_value(dm)))
    assert "no longer takes decisions" in late.json()["text"], "a second decision is the API's 409, told in Slack"


async def test_a_failing_slack_api_is_retried_by_the_queue(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner, slack: SlackStandIn
) -> None:
    await connect_slack(tenant)
    slack.failures["chat.postMessage"] = 1
    approver = await approver_in_slack(tenant, app, slack, "U1")
    await waiting_step(tenant, app)

    async def failed_once() -> bool:
        return [(r["status"], r["attempts"]) for r in await slack_rows(tenant)] == [("failed", 1)]

    await wait_for(failed_once)
    async with tenant.database.transaction() as session:  # the backoff's due time, brought forward
        await session.execute(text("UPDATE jobs SET run_at = now() WHERE kind = 'slack.post' AND status = 'failed'"))
    await sent_ts(tenant, approver.id)
    assert [(r["status"], r["attempts"]) for r in await slack_rows(tenant)] == [("sent", 2)]
    assert len(slack.of("chat.postMessage")) == 2


async def test_a_gate_is_approved_from_slack(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner, slack: SlackStandIn
) -> None:
    await connect_slack(tenant)
    approver = await approver_in_slack(tenant, app, slack, "U7")
    body = workflow_body(step("go", "approval", approvers=[{"type": "role", "value": "cab"}], message="Ship it?"))
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, body))["id"]))
    gate = await pending_gate(tenant.admin, execution)
    [dm] = await posted_to(slack, "U7")
    assert "Ship it?" in str(dm.args["blocks"])
    ts = await sent_ts(tenant, approver.id)
    assert (await send(tenant, button("U7", "tenantplane_approve", button_value(dm)))).status_code == 200
    read = (await tenant.client.get(f"{GATES}/{gate['id']}", headers=tenant.admin.headers)).json()
    assert read["status"] == "approved"
    await wait_for_execution(tenant.admin, execution, {"succeeded"})
    [update] = await updates_of(slack, ts)
    assert "Approved by" in update.args["text"]


async def test_preferences_turn_off_email_and_slack_but_never_the_inbox(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner, slack: SlackStandIn
) -> None:
    await connect_slack(tenant)
    channel = {"name": "mail", "type": "email", "default": True, "config": {"host": "127.0.0.1", "from": "p@x.io"}}
    assert (
        await tenant.client.post("/api/notifications/channels", json=channel, headers=tenant.admin.headers)
    ).is_success
    quiet = await approver_in_slack(tenant, app, slack, "U1")
    chatty = await approver_in_slack(tenant, app, slack, "U2")
    me = (await tenant.client.get("/api/me", headers=quiet.headers)).json()
    assert me["notifications"] == {"in_app": True, "email": True, "slack": True}
    patch = {"notifications": {"email": False, "slack": False}}
    changed = await tenant.client.patch("/api/me", json=patch, headers=quiet.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["notifications"]["email"] is False
    assert (await tenant.client.get("/api/me", headers=quiet.headers)).json()["notifications"]["slack"] is False
    for wrong, field in (({"email": "maybe"}, "notifications.email"), ({"in_app": False}, "notifications.in_app")):
        refused = await tenant.client.patch("/api/me", json={"notifications": wrong}, headers=quiet.headers)
        assert refused.status_code == 422, refused.text
        assert field in [e["field"] for e in refused.json()["errors"]], refused.text

    await waiting_step(tenant, app)
    await posted_to(slack, "U2")
    await sent_ts(tenant, chatty.id)
    async with tenant.database.transaction() as session:
        mailed = await session.scalars(
            text("SELECT recipient_user_id::text FROM notification_deliveries WHERE tenant_id = :t"), {"t": tenant.id}
        )
        inbox = await session.scalars(
            text("SELECT user_id::text FROM notifications WHERE tenant_id = :t"), {"t": tenant.id}
        )
        mailed_to, inboxes = list(mailed), set(inbox)
    assert mailed_to == [chatty.id], "e-mail off: no delivery row"
    assert {quiet.id, chatty.id} <= inboxes, "the inbox always"
    assert [r["user_id"] for r in await slack_rows(tenant)] == [chatty.id], "Slack off: no DM"
    assert [c.args["channel"] for c in slack.of("chat.postMessage")] == ["U2"]


async def test_the_tenants_egress_allow_list_holds_for_slack_calls(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner, slack: SlackStandIn
) -> None:
    await connect_slack(tenant)
    narrowed = await tenant.client.patch(
        "/api/tenant", json={"egress_allow_list": ["slack.com"]}, headers=tenant.admin.headers
    )
    assert narrowed.status_code == 200, narrowed.text
    await approver_in_slack(tenant, app, slack, "U1")
    await waiting_step(tenant, app)

    async def dead() -> bool:
        return [r["status"] for r in await slack_rows(tenant)] == ["dead"]

    await wait_for(dead)
    async with tenant.database.transaction() as session:
        error = await session.scalar(
            text("SELECT last_error FROM slack_messages WHERE tenant_id = :t"), {"t": tenant.id}
        )
    assert "egress denied" in str(error)
    assert slack.calls == [], "nothing reached the stand-in"
