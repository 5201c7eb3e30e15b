"""Slack's interactivity endpoint, driven with signed payloads against a local stand-in for Slack's Web API.

Approve and Reject (through its comment modal) decide as the mapped user; every refusal decides nothing.
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
    approver_in_slack,
    button_value,
    connect_slack,
    instance_status,
    posted_to,
    send,
    sent_ts,
    updates_of,
    waiting_step,
)
from tests.api.sweep_approvals import signed_in
from tests.support.slack_standin import SlackStandIn, button, running_slack, submission


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with running_slack() as stand_in:
        yield stand_in


@pytest.fixture
def settings(settings: Settings, slack: SlackStandIn) -> Settings:
    return settings.model_copy(update={"slack_api_url": slack.url})


async def test_approve_in_slack_decides_as_the_mapped_user_and_updates_the_message(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner, slack: SlackStandIn
) -> None:
    await connect_slack(tenant)
    approver = await approver_in_slack(tenant, app, slack, "U1")
    instance = await waiting_step(tenant, app)
    [dm] = await posted_to(slack, "U1")
    assert [c.args["email"] for c in slack.of("users.lookupByEmail")] == [approver.email]
    assert "Laptop" in str(dm.args["blocks"])
    assert "Approval needed" in dm.args["text"]
    ts = await sent_ts(tenant, approver.id)

    answer = await send(tenant, button("U1", "tenantplane_approve", button_value(dm)))
    assert answer.status_code == 200, answer.text
    assert await instance_status(tenant, instance["id"]) == "approved"
    [update] = await updates_of(slack, ts)
    assert update.args["channel"] == "DU1"
    assert "Approved by" in update.args["text"]
    assert "tenantplane_approve" not in str(update.args["blocks"]), "the buttons are gone"
    async with tenant.database.transaction() as session:
        event = await session.scalar(
            text("SELECT payload FROM approval_events WHERE instance_id = :i AND kind = 'decided'"),
            {"i": instance["id"]},
        )
        audit = await session.scalar(
            text("SELECT summary FROM audit_events WHERE object_id = :i AND action = 'approval_instance.approved'"),
            {"i": instance["id"]},
        )
    assert [(d["user_id"], d["channel"]) for d in event["decisions"]] == [(approver.id, "slack")]
    assert audit["channel"] == "slack"


async def test_reject_opens_the_comment_modal_and_its_submission_decides(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner, slack: SlackStandIn
) -> None:
    await connect_slack(tenant)
    approver = await approver_in_slack(tenant, app, slack, "U1")
    instance = await waiting_step(tenant, app)
    [dm] = await posted_to(slack, "U1")
    ts = await sent_ts(tenant, approver.id)
    message_id = button_value(dm, "tenantplane_reject")

    opened = await send(tenant, button("U1", "tenantplane_reject", message_id, trigger_id="trig-42"))
    assert opened.status_code == 200, opened.text
    [modal] = slack.of("views.open")
    assert modal.args["trigger_id"] == "trig-42"
    assert modal.args["view"]["private_metadata"] == message_id
    assert await instance_status(tenant, instance["id"]) == "pending", "a click on Reject alone decides nothing"

    empty = await send(tenant, submission("U1", message_id, "  "))
    assert empty.json()["response_action"] == "errors", "a rejection needs a comment"
    assert await instance_status(tenant, instance["id"]) == "pending"
    done = await send(tenant, submission("U1", message_id, "too expensive"))
    assert (done.status_code, done.content) == (200, b""), done.text
    assert await instance_status(tenant, instance["id"]) == "rejected"
    [update] = await updates_of(slack, ts)
    assert "Rejected by" in update.args["text"]
    assert "too expensive" in update.args["text"]


async def test_refused_requests_decide_nothing(
    tenant: TenantContext, app: FastAPI, worker: ExecutionJobRunner, slack: SlackStandIn
) -> None:
    await connect_slack(tenant)
    approver = await approver_in_slack(tenant, app, slack, "U1")
    requester = await signed_in(tenant, app, roles=["cab"])  # an approver too, but four-eyes keeps them out
    slack.users["U2"] = requester.email
    instance = await waiting_step(tenant, app, requester)
    [dm] = await posted_to(slack, "U1")
    await sent_ts(tenant, approver.id)  # its channel is known: refusals are told there
    approve = button("U1", "tenantplane_approve", button_value(dm))

    bad_signature = await send(tenant, approve, secret="0000another0secret0000")
    assert (bad_signature.status_code, bad_signature.json()["type"].rsplit("/", 1)[-1]) == (401, "slack-signature")
    replayed = await send(tenant, approve, age=6 * 60)
    assert replayed.status_code == 401
    assert "five minutes" in replayed.json()["detail"]
    unsigned = await tenant.client.post(
        f"/api/slack/interactivity/{tenant.slug}", content=b"payload=%7B%7D", headers={}
    )
    assert unsigned.status_code == 401
    stranger = await send(tenant, button("U999", "tenantplane_approve", button_value(dm)))
    assert stranger.status_code == 200
    assert "No active Tenant Plane user" in stranger.json()["text"]
    four_eyes = await send(tenant, button("U2", "tenantplane_approve", button_value(dm)))
    assert four_eyes.status_code == 200, four_eyes.text
    assert "four-eyes" in four_eyes.json()["text"].lower(), four_eyes.text
    refused = await send(tenant, submission("U2", button_value(dm), "no"))
    assert refused.json()["response_action"] == "errors"
    assert [c.args["user"] for c in slack.of("chat.postEphemeral")] == ["U999", "U2"], "each is told why"

    assert await instance_status(tenant, instance["id"]) == "pending"
    async with tenant.database.transaction() as session:
        decided = await session.scalar(
            text("SELECT count(*) FROM approval_events WHERE instance_id = :i AND kind = 'decided'"),
            {"i": instance["id"]},
        )
    assert decided == 0
    assert slack.of("chat.update") == []


async def test_a_tenant_without_a_slack_app_or_an_unknown_slug_is_not_found(
    tenant: TenantContext, slack: SlackStandIn
) -> None:
    answer = await send(tenant, button("U1", "tenantplane_approve", "x"))
    assert answer.status_code == 404, "this tenant has no Slack app"
    response = await tenant.client.post("/api/slack/interactivity/no-such-tenant", content=b"x")
    assert response.status_code == 404
