"""Automation workflow definitions: CRUD with versions, every problem at once, the validate endpoint.

Also checks that /api/workflows/{id} does not shadow the ITSM definitions at /api/workflows/definitions.
"""

from __future__ import annotations

import httpx

from tests.api.conftest import TenantContext
from tests.api.sweep_approvals import create_definition
from tests.api.sweep_approvals import step as itsm_step
from tests.api.sweep_automation import WORKFLOWS, create_workflow, edge, script_runbook, step, workflow_body


async def test_a_workflow_is_created_read_listed_versioned_and_archived(tenant: TenantContext) -> None:
    c, headers = tenant.client, tenant.admin.headers
    runbook = await script_runbook(tenant, "echo hi")
    body = workflow_body(
        step("diagnose", "runbook", runbook_id=runbook, parameters={"host": "{{ inputs.host }}"}),
        step("pause", "delay", seconds=5),
        inputs={"type": "object", "properties": {"host": {"type": "string"}}, "required": ["host"]},
    )
    created = await create_workflow(tenant, body)
    assert created["version"] == 1
    assert [s["id"] for s in created["steps"]] == ["diagnose", "pause"]
    read = (await c.get(f"{WORKFLOWS}/{created['id']}", headers=headers)).json()
    assert read["inputs"]["required"] == ["host"]

    changed = await c.put(
        f"{WORKFLOWS}/{created['id']}",
        json={**body, "steps": body["steps"][:1], "description": "v2"},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2
    first = (await c.get(f"{WORKFLOWS}/{created['id']}", params={"version": 1}, headers=headers)).json()
    assert len(first["steps"]) == 2
    assert first["version"] == 1

    listed = (await c.get(WORKFLOWS, headers=headers)).json()["items"]
    assert [w["id"] for w in listed] == [created["id"]]
    assert (await c.delete(f"{WORKFLOWS}/{created['id']}", headers=headers)).status_code == 204
    assert (await c.get(WORKFLOWS, headers=headers)).json()["items"] == []
    again = await c.post(f"{WORKFLOWS}/{created['id']}/execute", json={"inputs": {"host": "a"}}, headers=headers)
    assert again.status_code == 409


async def test_saving_lists_every_problem_with_its_path(tenant: TenantContext) -> None:
    body = workflow_body(
        step("check", "condition", expression="steps.x.outputs[", extra=1),
        step("check", "teleport"),
        step("page", "notification", channel="nowhere", subject="{{ broken"),
        step("ask", "approval", approvers=[{"type": "user", "value": "nobody@example.com"}], on_timeout="later"),
        step("run", "runbook", runbook_id="00000000-0000-0000-0000-000000000000"),
        edges=[edge("check", "page", "true"), edge("check", "ghost")],
    )
    response = await tenant.client.post(WORKFLOWS, json=body, headers=tenant.admin.headers)
    assert response.status_code == 422, response.text
    fields = {e["field"] for e in response.json()["errors"]}
    expected = {
        "steps[0].config.expression",
        "steps[0].config.extra",
        "steps[1].id",
        "steps[1].type",
        "steps[2].config.channel",
        "steps[2].config.subject",
        "steps[3].config.approvers[0].value",
        "steps[3].config.on_timeout",
        "steps[4].config.runbook_id",
        "edges[1].to",
    }
    assert expected <= fields, fields


async def test_validate_answers_without_saving(tenant: TenantContext) -> None:
    c, headers = tenant.client, tenant.admin.headers
    good = workflow_body(step("pause", "delay", seconds=1))
    assert (await c.post(f"{WORKFLOWS}/validate", json=good, headers=headers)).json() == {"valid": True, "errors": []}
    bad = workflow_body(step("pause", "delay"), step("a", "condition", expression="inputs.x > 1"))
    answer = (await c.post(f"{WORKFLOWS}/validate", json=bad, headers=headers)).json()
    assert answer["valid"] is False
    assert {e["field"] for e in answer["errors"]} >= {"steps[0].config", "steps[1]"}
    assert (await c.get(WORKFLOWS, headers=headers)).json()["items"] == []


async def test_itsm_definitions_keep_their_path_next_to_workflows(tenant: TenantContext) -> None:
    c, headers = tenant.client, tenant.admin.headers
    definition = await create_definition(tenant, itsm_step("manager", 1, "any"))
    workflow = await create_workflow(tenant, workflow_body(step("pause", "delay", seconds=1)))
    listed = (await c.get("/api/workflows/definitions", headers=headers)).json()["items"]
    assert [d["id"] for d in listed] == [definition["id"]]
    assert (await c.get(f"/api/workflows/definitions/{definition['id']}", headers=headers)).status_code == 200
    assert (await c.get(f"{WORKFLOWS}/{definition['id']}", headers=headers)).status_code == 404
    assert (await c.get(f"{WORKFLOWS}/{workflow['id']}", headers=headers)).status_code == 200


async def test_only_workflow_managers_write_and_execute(tenant: TenantContext, client: httpx.AsyncClient) -> None:
    requester = await tenant.user()
    body = workflow_body(step("pause", "delay", seconds=1))
    assert (await client.post(WORKFLOWS, json=body, headers=requester.headers)).status_code == 403
    engineer = await tenant.user(roles=["automation_engineer"])
    assert (await client.post(WORKFLOWS, json=body, headers=engineer.headers)).status_code == 201
