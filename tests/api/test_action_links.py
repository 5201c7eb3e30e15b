"""Signed approve / reject links: e-mailed per approver, shown by GET (which never decides), decided once by POST as
their person through the same rules as the app, stored only as hashes; refusals are problem details, never 500s.

Real SMTP (aiosmtpd) and the in-process worker carry the e-mails; other tests mint links with the service itself.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.action_link_helpers import instance_of, mail_channel, mailed_links, mint, open_link, token_of, use_link
from tests.api.conftest import TenantContext
from tests.api.sweep_approvals import create_definition, decide, several, start_instance, step
from tests.api.sweep_automation import (
    create_workflow,
    execute_workflow,
    pending_gate,
    script_runbook,
    wait_until,
    workflow_body,
)
from tests.api.sweep_automation import step as wf_step
from tests.api.test_notifications_delivery import MailServer, _settled, smtp_server

__all__ = ["smtp_server"]  # the SMTP server fixture
SUBJECT = "approval_step"


async def test_an_emailed_approve_link_shows_first_then_decides_once_as_its_person(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI, smtp_server: MailServer, worker: ExecutionJobRunner
) -> None:
    await mail_channel(client, tenant, smtp_server)
    approver, requester = await several(tenant, app, 2)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    instance = await start_instance(requester, definition["id"], {"item": "Laptop"})
    links = await mailed_links(smtp_server, approver.email)
    assert sorted(links) == ["Approve", "Reject"]
    assert all("/action/" in url for url in links.values())

    for _ in range(2):  # opening the page (or a mail scanner prefetching it) decides nothing
        shown = await open_link(client, token_of(links["Approve"]))
        assert shown.status_code == 200, shown.text
    page = shown.json()
    assert (page["decision"], page["person"], page["subject"]["step"]) == ("approved", approver.email, "lead")
    assert page["subject"]["variables"] == {"item": "Laptop"}
    assert (await instance_of(approver, instance["id"]))["status"] == "pending"

    decided = await use_link(client, token_of(links["Approve"]), "fine by me")
    assert decided.status_code == 200, decided.text
    assert (decided.json()["decision"], decided.json()["status"]) == ("approved", "approved")
    after = await instance_of(approver, instance["id"])
    [decision] = after["step_results"][0]["decisions"]
    assert (after["status"], decision["user_id"], decision["comment"]) == ("approved", approver.id, "fine by me")

    again = await use_link(client, token_of(links["Approve"]))
    assert again.status_code == 410, again.text
    assert again.json()["type"].endswith("action-link-used")
    assert again.headers["content-type"] == "application/problem+json"
    assert (await open_link(client, token_of(links["Reject"]))).status_code == 410  # one decision per person


async def test_the_decision_is_audited_once_with_its_channel_and_on_the_timeline(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    approver, requester = await several(tenant, app, 2)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    instance = await start_instance(requester, definition["id"])
    tokens = await mint(app, tenant, SUBJECT, instance["id"], approver.id, "lead")
    async with app.state.db.transaction() as session:
        before = int(await session.scalar(text("SELECT count(*) FROM audit_events")) or 0)
    assert (await use_link(client, tokens["Approve"])).status_code == 200
    async with app.state.db.transaction() as session:
        rows = (await session.execute(text("SELECT actor_id, action, summary FROM audit_events"))).all()
    assert len(rows) == before + 1
    [(actor_id, _, summary)] = [r for r in rows if r.action == "approval_instance.approved"]
    assert (str(actor_id), summary["channel"], summary["decisions"][0]["channel"]) == (
        approver.id,
        "action_link",
        "action_link",
    )
    events = await client.get(f"/api/workflows/instances/{instance['id']}/events", headers=tenant.admin.headers)
    decided = next(e for e in events.json()["items"] if e["kind"] == "decided")
    assert decided["payload"]["decisions"][0]["channel"] == "action_link"


async def test_tokens_are_stored_only_hashed_and_the_sealed_copy_is_gone_once_sent(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI, smtp_server: MailServer, worker: ExecutionJobRunner
) -> None:
    await mail_channel(client, tenant, smtp_server)
    approver, requester = await several(tenant, app, 2)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    await start_instance(requester, definition["id"])
    links = await mailed_links(smtp_server, approver.email)
    [delivery] = await _settled(client, tenant, 1)  # recorded sent (and its sealed links forgotten) after the mail
    assert delivery["status"] == "sent"
    raw = [token_of(url) for url in links.values()]
    async with app.state.db.transaction() as session:
        tables = (await session.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))).all()
        found = []
        for table in tables:
            for token in raw:
                hits = await session.scalar(
                    text(f'SELECT count(*) FROM "{table}" t WHERE t::text LIKE :p'), {"p": f"%{token}%"}
                )
                found += [table] * int(hits or 0)
        hashes = (await session.scalars(text("SELECT token_hash FROM action_links"))).all()
    assert found == []
    assert [len(h) for h in hashes] == [64, 64]
    assert (await open_link(client, raw[0])).status_code == 200  # found by its hash all the same


async def test_a_reject_link_needs_a_comment_and_stays_usable_until_one_is_given(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    approver, requester = await several(tenant, app, 2)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    instance = await start_instance(requester, definition["id"])
    tokens = await mint(app, tenant, SUBJECT, instance["id"], approver.id, "lead")
    refused = await use_link(client, tokens["Reject"], "  ")
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["comment"]
    assert (await instance_of(approver, instance["id"]))["status"] == "pending"
    rejected = await use_link(client, tokens["Reject"], "not this quarter")
    assert (rejected.status_code, rejected.json()["status"]) == (200, "rejected")


async def test_four_eyes_refuses_a_link_of_the_requester_as_a_delegate_and_decides_nothing(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    approver, requester = await several(tenant, app, 2)
    until = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    body = {"delegate_id": requester.id, "delegate_until": until}
    assert (await client.patch(f"/api/users/{approver.id}", json=body, headers=tenant.admin.headers)).is_success
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    instance = await start_instance(requester, definition["id"])
    tokens = await mint(app, tenant, SUBJECT, instance["id"], requester.id, "lead")
    for response in (await open_link(client, tokens["Approve"]), await use_link(client, tokens["Approve"])):
        assert response.status_code == 403, response.text  # the page says why before anyone presses a button
        assert response.json()["type"].endswith("four-eyes")
        assert "four-eyes" in response.json()["detail"]
    assert (await instance_of(approver, instance["id"]))["status"] == "pending"
    async with app.state.db.transaction() as session:
        assert await session.scalar(text("SELECT count(*) FROM action_links WHERE used_at IS NOT NULL")) == 0
    approver_tokens = await mint(app, tenant, SUBJECT, instance["id"], approver.id, "lead")
    assert (await use_link(client, approver_tokens["Approve"])).json()["status"] == "approved"


async def test_an_expired_link_is_refused_and_decides_nothing(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    approver, requester = await several(tenant, app, 2)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    instance = await start_instance(requester, definition["id"])
    tokens = await mint(app, tenant, SUBJECT, instance["id"], approver.id, "lead")
    async with app.state.db.transaction() as session:
        await session.execute(text("UPDATE action_links SET expires_at = now() - interval '1 second'"))
    for response in (await open_link(client, tokens["Approve"]), await use_link(client, tokens["Approve"])):
        assert response.status_code == 410, response.text
        assert response.json()["type"].endswith("action-link-expired")
    assert (await instance_of(approver, instance["id"]))["status"] == "pending"


async def test_links_expire_after_the_ttl_and_never_after_a_gate_times_out(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    approver = await tenant.user()
    gated = wf_step("ok", "approval", approvers=[{"type": "user", "value": approver.id}], timeout_seconds=600)
    execution = await execute_workflow(tenant.admin, str((await create_workflow(tenant, workflow_body(gated)))["id"]))
    gate = await pending_gate(tenant.admin, execution)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    instance = await start_instance(tenant.admin, definition["id"])
    await mint(app, tenant, SUBJECT, instance["id"], approver.id, "lead")
    async with app.state.db.transaction() as session:
        rows = (await session.execute(text("SELECT subject_type, expires_at - now() AS left FROM action_links"))).all()
    left = {r.subject_type: r.left.total_seconds() for r in rows}
    ttl = app.state.settings.action_link_ttl_seconds
    assert 0 < left["gate"] <= 600, (left, gate["id"])
    assert ttl - 60 < left[SUBJECT] <= ttl, left


async def test_malformed_and_unknown_tokens_answer_404_problem_details(client: httpx.AsyncClient) -> None:
    for token in ("x", "a" * 500, "not-a-token-but-long-enough-1234", "..%2F..%2Fetc", "é" * 30, "-" * 43):
        for response in (await open_link(client, token), await use_link(client, token, "why")):
            assert response.status_code == 404, (token, response.status_code, response.text)
            assert response.headers["content-type"] == "application/problem+json"


async def test_a_step_decided_elsewhere_answers_409_and_the_link_decides_nothing(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    approver, other, requester = await several(tenant, app, 3)
    definition = await create_definition(tenant, step("lead", 1, "role", "cab"))
    await client.patch(f"/api/users/{approver.id}", json={"roles": ["cab"]}, headers=tenant.admin.headers)
    await client.patch(f"/api/users/{other.id}", json={"roles": ["cab"]}, headers=tenant.admin.headers)
    instance = await start_instance(requester, definition["id"])
    tokens = await mint(app, tenant, SUBJECT, instance["id"], approver.id, "lead")
    assert (await decide(other, instance["id"], "reject", comment="no")).status_code == 200
    for response in (await open_link(client, tokens["Approve"]), await use_link(client, tokens["Approve"])):
        assert response.status_code == 409, response.text
    assert (await instance_of(approver, instance["id"]))["status"] == "rejected"


async def test_a_token_acts_only_on_its_own_subject_as_its_own_person(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI, make_tenant: object
) -> None:
    other_tenant: TenantContext = await make_tenant()  # type: ignore[operator]
    approver, requester = await several(tenant, app, 2)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    first = await start_instance(requester, definition["id"])
    second = await start_instance(requester, definition["id"])
    tokens = await mint(app, tenant, SUBJECT, first["id"], approver.id, "lead")
    # Another tenant's admin credentials change nothing: the token decides as its own person, on its own subject.
    used = await use_link(client, tokens["Approve"], **other_tenant.admin.headers)
    assert used.status_code == 200, used.text
    [decision] = (await instance_of(approver, first["id"]))["step_results"][0]["decisions"]
    assert decision["user_id"] == approver.id
    assert (await instance_of(approver, second["id"]))["status"] == "pending"
    foreign = await client.get(f"/api/workflows/instances/{first['id']}", headers=other_tenant.admin.headers)
    assert foreign.status_code == 404


async def test_a_gate_link_decides_the_gate_and_the_execution_goes_on(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI, smtp_server: MailServer, worker: ExecutionJobRunner
) -> None:
    await mail_channel(client, tenant, smtp_server)
    approver = await tenant.user()
    ship = await script_runbook(tenant, 'echo "shipped=$TP_PARAM_VERSION" > "$TP_OUTPUT"', {"type": "object"})
    gated = wf_step(
        "ok", "approval", approvers=[{"type": "user", "value": approver.id}], message="Ship {{ inputs.v }}?"
    )
    then = wf_step("ship", "runbook", runbook_id=ship, parameters={"version": "{{ inputs.v }}"})
    workflow = await create_workflow(tenant, workflow_body(gated, then))
    execution = await execute_workflow(tenant.admin, str(workflow["id"]), {"v": "1.2"})
    links = await mailed_links(smtp_server, approver.email)
    gate_id = (await pending_gate(tenant.admin, execution))["id"]
    shown = (await open_link(client, token_of(links["Approve"]))).json()
    assert (shown["subject"]["kind"], shown["subject"]["message"]) == ("gate", "Ship 1.2?")
    assert shown["subject"]["variables"] == {"v": "1.2"}
    [next_step] = shown["subject"]["next_steps"]
    assert (next_step["step_id"], next_step["runbook_version"], next_step["parameters"]) == (
        "ship",
        1,
        {"version": "1.2"},
    )
    assert (await use_link(client, token_of(links["Approve"]))).json()["status"] == "approved"
    done = await wait_until(tenant.admin, execution, {"succeeded", "failed"})
    assert done["status"] == "succeeded"
    gate = (await client.get(f"/api/automation/approvals/{gate_id}", headers=tenant.admin.headers)).json()
    assert (gate["decisions"][0]["user_id"], gate["decisions"][0]["channel"]) == (approver.id, "action_link")


async def test_a_link_of_someone_deactivated_decides_nothing(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    approver, requester = await several(tenant, app, 2)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    instance = await start_instance(requester, definition["id"])
    tokens = await mint(app, tenant, SUBJECT, instance["id"], approver.id, "lead")
    off = await client.patch(f"/api/users/{approver.id}", json={"is_active": False}, headers=tenant.admin.headers)
    assert off.is_success, off.text
    refused = await use_link(client, tokens["Approve"])
    assert refused.status_code == 403, refused.text
    assert not (await instance_of(requester, instance["id"]))["step_results"][0]["decisions"]
