"""Who caused an execution, and four-eyes on its gates for everyone in that chain (issue 11, item 2).

An `itsm_event` run was caused by the request's requester and requested-for, a schedule's by the trigger's owner,
a webhook's by nobody; a fulfillment workflow's runbook runs inherit its chain. None of them decides its gates.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from tenantplane.automation.triggers import schedule as triggers
from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import Actor, TenantContext
from tests.api.sweep_approvals import create_definition, signed_in
from tests.api.sweep_approvals import decide as decide_step
from tests.api.sweep_approvals import step as ladder_step
from tests.api.sweep_automation import (
    GATES,
    WORKFLOWS,
    create_workflow,
    decide,
    pending_gate,
    script_runbook,
    step,
    steps_of,
    wait_until,
    workflow_body,
)
from tests.api.sweep_itsm import REQUESTS, create_item
from tests.api.sweep_triggers import create_trigger

FORM = [{"name": "username", "type": "string", "required": True}]


async def _gated_workflow(t: TenantContext, approvers: list[dict[str, Any]] | None = None) -> str:
    """An approval gate, then a runbook that only runs once the gate is approved."""
    after = await script_runbook(t, 'echo "after=yes" > "$TP_OUTPUT"')
    body = workflow_body(
        step("sign-off", "approval", approvers=approvers or [{"type": "any"}]),
        step("after", "runbook", runbook_id=after),
    )
    return str((await create_workflow(t, body))["id"])


async def _trigger_runs(app: FastAPI, trigger_id: str, count: int = 1, timeout: float = 20) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        async with app.state.db.transaction() as session:
            rows = await session.execute(
                text("SELECT id FROM executions WHERE origin_type = 'trigger' AND origin_id = :id ORDER BY created_at"),
                {"id": trigger_id},
            )
            found = [str(r[0]) for r in rows]
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, found
        await asyncio.sleep(0.1)


async def _execution(actor: Actor, execution_id: str) -> dict[str, Any]:
    response = await actor.tenant.client.get(f"/api/executions/{execution_id}", headers=actor.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _chain(execution: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["role"], c["user_id"]) for c in execution["caused_by"]]


async def _refused_by_four_eyes(actor: Actor, gate_id: str) -> None:
    refused = await decide(actor, gate_id, "approve", "looks fine to me")
    assert refused.status_code == 403, refused.text
    problem = refused.json()
    assert problem["type"].endswith("/four-eyes"), problem
    assert "Four-eyes" in problem["detail"], problem


async def _fire_schedule_now(app: FastAPI, trigger_id: str) -> None:
    async with app.state.db.transaction() as session:
        await session.execute(
            text("UPDATE jobs SET run_at = now() WHERE kind = :kind AND payload->>'trigger_id' = :id"),
            {"kind": triggers.SCHEDULE_FIRE, "id": trigger_id},
        )


async def test_an_itsm_event_run_refuses_the_requester_and_requested_for_on_its_gate(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    workflow = await _gated_workflow(tenant)
    owner = await signed_in(tenant, app, roles=["app_owner"])
    ladder = await create_definition(tenant, ladder_step("app owner", 1, "role", "app_owner"))
    item = await create_item(tenant, variables=FORM, workflow_definition_id=ladder["id"])
    trigger = await create_trigger(tenant, workflow, "itsm_event", event="itsm.request.approved")
    requester, beneficiary = await signed_in(tenant, app), await signed_in(tenant, app)
    body = {"catalog_item_id": item["id"], "variables": {"username": "ada"}, "requested_for": beneficiary.id}
    submitted = (await client.post(REQUESTS, json=body, headers=requester.headers)).json()
    assert (await decide_step(owner, submitted["approval_instance_id"])).status_code == 200

    [execution_id] = await _trigger_runs(app, trigger["id"])
    await wait_until(tenant.admin, execution_id, {"waiting"})
    execution = await _execution(tenant.admin, execution_id)
    assert execution["started_by"] is None  # the platform started it ...
    assert execution["cause"] == "itsm_event"  # ... because of the request, whose people caused it
    assert _chain(execution) == [("requester", requester.id), ("requested_for", beneficiary.id)]
    assert execution["caused_by_text"] == "ITSM event (requester, requested for)"

    gate = await pending_gate(tenant.admin, execution_id)
    assert {c["user_id"] for c in gate["caused_by"]} == {requester.id, beneficiary.id}
    for person in (requester, beneficiary):
        await _refused_by_four_eyes(person, gate["id"])
        mine = (await client.get(GATES, params={"mine": "true"}, headers=person.headers)).json()["items"]
        assert mine == []  # never offered in their inbox either
    assert (await decide(owner, gate["id"], "approve")).status_code == 200
    done = await wait_until(tenant.admin, execution_id, {"succeeded", "failed"})
    assert done["status"] == "succeeded", done
    assert steps_of(done)["after"]["outputs"] == {"after": "yes"}


async def test_a_person_in_the_chain_votes_neither_as_a_delegate_nor_through_one(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    requester, beneficiary = await signed_in(tenant, app), await signed_in(tenant, app)
    approver, stand_in = await signed_in(tenant, app), await signed_in(tenant, app)
    named = [{"type": "user", "value": requester.id}, {"type": "user", "value": approver.id}]
    workflow = await _gated_workflow(tenant, named)
    item = await create_item(tenant, variables=FORM)  # no approval ladder: fulfilled by hand, at once
    trigger = await create_trigger(tenant, workflow, "itsm_event", event="itsm.request.fulfilled")
    until = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    for absent, delegate in ((approver, beneficiary), (requester, stand_in)):
        delegated = await client.patch(
            f"/api/users/{absent.id}",
            json={"delegate_id": delegate.id, "delegate_until": until},
            headers=tenant.admin.headers,
        )
        assert delegated.status_code == 200, delegated.text
    body = {"catalog_item_id": item["id"], "variables": {"username": "bo"}, "requested_for": beneficiary.id}
    submitted = (await client.post(REQUESTS, json=body, headers=requester.headers)).json()
    done = await client.post(f"{REQUESTS}/{submitted['id']}/fulfill", json={}, headers=tenant.admin.headers)
    assert done.status_code == 200, done.text

    [execution_id] = await _trigger_runs(app, trigger["id"])
    gate = await pending_gate(tenant.admin, execution_id)
    # The beneficiary stands in for an eligible approver, but is in the chain: refused as a delegate too.
    await _refused_by_four_eyes(beneficiary, gate["id"])
    # The requester is named as an approver, but four-eyes keeps them off: their delegate has nobody to stand in for.
    refused = await decide(stand_in, gate["id"], "approve")
    assert refused.status_code == 403, refused.text
    assert "not an approver" in refused.json()["detail"]
    answer = await decide(approver, gate["id"], "approve")
    assert (answer.status_code, answer.json()["status"]) == (200, "approved"), answer.text


async def test_a_scheduled_run_refuses_the_trigger_owner_on_its_gate(
    app: FastAPI, tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    engineer = await tenant.user(roles=["automation_engineer"])
    workflow = await _gated_workflow(tenant)
    created = await tenant.client.post(
        f"{WORKFLOWS}/{workflow}/triggers",
        json={"kind": "schedule", "config": {"cron": "* * * * *", "timezone": "UTC"}},
        headers=engineer.headers,
    )
    assert created.status_code == 201, created.text
    trigger = created.json()
    assert (trigger["owner_id"], trigger["created_by"]) == (engineer.id, engineer.id)
    await _fire_schedule_now(app, trigger["id"])

    [execution_id] = await _trigger_runs(app, trigger["id"])
    await wait_until(tenant.admin, execution_id, {"waiting"})
    execution = await _execution(tenant.admin, execution_id)
    assert (execution["cause"], _chain(execution)) == ("schedule", [("trigger_owner", engineer.id)])
    assert execution["caused_by_text"] == "schedule (trigger owner)"
    gate = await pending_gate(tenant.admin, execution_id)
    await _refused_by_four_eyes(engineer, gate["id"])
    assert (await decide(tenant.admin, gate["id"], "approve")).status_code == 200
    assert (await wait_until(tenant.admin, execution_id, {"succeeded", "failed"}))["status"] == "succeeded"


async def test_whoever_last_changed_a_schedule_owns_it(tenant: TenantContext) -> None:
    creator = await tenant.user(roles=["automation_engineer"])
    editor = await tenant.user(roles=["automation_engineer"])
    workflow = await _gated_workflow(tenant)
    created = await tenant.client.post(
        f"{WORKFLOWS}/{workflow}/triggers",
        json={"kind": "schedule", "config": {"cron": "0 3 * * *", "timezone": "UTC"}},
        headers=creator.headers,
    )
    assert created.status_code == 201, created.text
    url = f"{WORKFLOWS}/{workflow}/triggers/{created.json()['id']}"
    changed = await tenant.client.patch(url, json={"config": {"cron": "0 4 * * *"}}, headers=editor.headers)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["owner_id"], changed.json()["created_by"]) == (editor.id, creator.id)


async def test_a_schedule_gate_only_its_owner_could_approve_fails_at_once(
    app: FastAPI, tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    engineer = await tenant.user(roles=["automation_engineer"])
    workflow = await _gated_workflow(tenant, [{"type": "user", "value": engineer.id}])
    created = await tenant.client.post(
        f"{WORKFLOWS}/{workflow}/triggers",
        json={"kind": "schedule", "config": {"cron": "* * * * *", "timezone": "UTC"}},
        headers=engineer.headers,
    )
    assert created.status_code == 201, created.text
    await _fire_schedule_now(app, created.json()["id"])
    [execution_id] = await _trigger_runs(app, created.json()["id"])
    done = await wait_until(tenant.admin, execution_id, {"failed", "succeeded"})
    assert done["status"] == "failed", done
    reason = steps_of(done)["sign-off"]["reason"]
    assert "its only possible approver owns the trigger that started it (four-eyes)" in reason, reason
    gates = (await tenant.client.get(GATES, headers=tenant.admin.headers)).json()["items"]
    assert [g for g in gates if g["execution_id"] == execution_id] == []  # never opened


async def test_a_webhook_run_shows_nobody_caused_it_and_anyone_eligible_decides(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    engineer = await tenant.user(roles=["automation_engineer"])
    workflow = await _gated_workflow(tenant)
    created = await client.post(f"{WORKFLOWS}/{workflow}/triggers", json={"kind": "webhook"}, headers=engineer.headers)
    assert created.status_code == 201, created.text
    accepted = await client.post(created.json()["url"], json={"ref": "main"})
    assert accepted.status_code == 202, accepted.text
    execution = await _execution(tenant.admin, accepted.json()["execution_id"])
    assert (execution["cause"], execution["caused_by"], execution["started_by"]) == ("webhook", [], None)
    assert execution["caused_by_text"] == "inbound webhook (nobody)"
    listed = (await client.get("/api/executions", headers=tenant.admin.headers)).json()["items"]
    assert [e["caused_by_text"] for e in listed if e["id"] == execution["id"]] == ["inbound webhook (nobody)"]
    gate = await pending_gate(tenant.admin, execution["id"])
    assert gate["caused_by"] == []
    # Nobody is held to four-eyes: even who set the webhook up may decide (anyone with the URL could have called it).
    assert (await decide(engineer, gate["id"], "approve")).status_code == 200


async def test_a_manual_run_was_caused_by_its_starter(tenant: TenantContext) -> None:
    workflow = await _gated_workflow(tenant)
    await tenant.user()  # a possible approver besides the starter
    started = await tenant.client.post(f"{WORKFLOWS}/{workflow}/execute", json={}, headers=tenant.admin.headers)
    assert started.status_code == 202, started.text
    execution = await _execution(tenant.admin, started.json()["id"])
    assert (execution["cause"], _chain(execution)) == ("manual", [("starter", tenant.admin.id)])
    assert execution["caused_by_text"] == "started by hand (starter)"


async def test_a_fulfillment_workflow_and_its_runbook_runs_carry_the_requests_people(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    workflow = await _gated_workflow(tenant)
    item = await create_item(
        tenant, variables=FORM, fulfillment_type="workflow", fulfillment_config={"workflow_id": workflow}
    )
    requester, beneficiary = await signed_in(tenant, app), await signed_in(tenant, app)
    body = {"catalog_item_id": item["id"], "variables": {"username": "cy"}, "requested_for": beneficiary.id}
    submitted = (await client.post(REQUESTS, json=body, headers=requester.headers)).json()
    execution_id = (await client.get(f"{REQUESTS}/{submitted['id']}", headers=requester.headers)).json()[
        "fulfillment_execution_id"
    ]
    execution = await _execution(tenant.admin, execution_id)
    people = [("requester", requester.id), ("requested_for", beneficiary.id)]
    assert (execution["cause"], _chain(execution)) == ("fulfillment", people)
    gate = await pending_gate(tenant.admin, execution_id)
    for person in (requester, beneficiary):
        await _refused_by_four_eyes(person, gate["id"])
    assert (await decide(tenant.admin, gate["id"], "approve")).status_code == 200
    done = await wait_until(tenant.admin, execution_id, {"succeeded", "failed"})
    child = await _execution(tenant.admin, steps_of(done)["after"]["runbook_execution_id"])
    assert (child["cause"], _chain(child)) == ("workflow_step", people)
