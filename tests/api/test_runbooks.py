"""Runbook definitions: versioned CRUD, validation that names every bad field, permissions and tenancy."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.conftest import TenantContext, TenantFactory
from tests.api.sweep_runbooks import create_runbook, create_secret, runbook_body

SCHEMA = {
    "type": "object",
    "properties": {
        "host": {"type": "string", "minLength": 1},
        "port": {"type": "integer", "minimum": 1, "default": 22},
    },
    "required": ["host"],
    "additionalProperties": False,
}


def fields_of(response: httpx.Response) -> set[str]:
    return {e["field"] for e in response.json()["errors"]}


async def test_a_runbook_is_created_read_versioned_on_every_edit_and_archived(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    headers = tenant.admin.headers
    created = await create_runbook(tenant, client, name="restart", description="v1", parameters=SCHEMA)
    assert (created["version"], created["queue"], created["timeout_seconds"]) == (1, "default", 300)
    assert created["actions"] == [{"name": "hello", "type": "shell", "script": "echo hello"}]
    edited_body = runbook_body("restart-service", description="v2", timeout_seconds=60, queue="default")
    edited_body["actions"] = [{"name": "call", "type": "http", "method": "post", "url": "https://example.com/x"}]
    edited = await client.put(f"/api/runbooks/{created['id']}", json=edited_body, headers=headers)
    assert edited.status_code == 200, edited.text
    assert (edited.json()["version"], edited.json()["name"]) == (2, "restart-service")
    assert edited.json()["actions"][0]["method"] == "POST"

    versions = (await client.get(f"/api/runbooks/{created['id']}/versions", headers=headers)).json()["items"]
    assert [(v["version"], v["definition"]["description"]) for v in versions] == [(2, "v2"), (1, "v1")]
    first = await client.get(f"/api/runbooks/{created['id']}/versions/1", headers=headers)
    assert first.json()["definition"]["actions"][0]["type"] == "shell"

    assert (await client.delete(f"/api/runbooks/{created['id']}", headers=headers)).status_code == 204
    listed = (await client.get("/api/runbooks", headers=headers)).json()["items"]
    assert created["id"] not in [r["id"] for r in listed]
    archived = (await client.get("/api/runbooks", params={"include_archived": True}, headers=headers)).json()
    assert [r["archived_at"] is not None for r in archived["items"]] == [True]
    again = await client.put(f"/api/runbooks/{created['id']}", json=edited_body, headers=headers)
    run = await client.post(f"/api/runbooks/{created['id']}/execute", json={}, headers=headers)
    assert (again.status_code, run.status_code) == (409, 409)
    reused = await create_runbook(tenant, client, name="restart-service")
    assert reused["id"] != created["id"]


async def test_names_are_unique_among_runbooks_in_use(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    await create_runbook(tenant, client, name="dup")
    clash = await client.post("/api/runbooks", json=runbook_body("dup"), headers=tenant.admin.headers)
    assert clash.status_code == 409
    assert fields_of(clash) == {"name"}


async def test_saving_reports_every_problem_with_the_field_it_is_in(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    await create_secret(tenant, client, "KNOWN")
    actions: list[dict[str, Any]] = [
        {"name": "a", "type": "teleport"},
        {"name": "b", "type": "shell"},
        {"name": "c", "type": "python", "script": "print(1)", "shell": "zsh"},
        {"name": "a", "type": "shell", "script": "true"},
        {"name": "d", "type": "http", "method": "FETCH", "url": "ftp://example.com", "expect_status": [99]},
        {"name": "e", "type": "echo"},
        {"name": "f", "type": "http", "method": "GET", "url": "https://x.example/{{ parameters.id", "body": "{{ }}"},
        {"type": "shell", "script": "true"},
    ]
    body = runbook_body(
        parameters={"type": "object", "properties": {"n": {"type": "nonsense"}}},
        secrets=["KNOWN", "MISSING"],
        actions=actions,
    )
    r = await client.post("/api/runbooks", json=body, headers=tenant.admin.headers)
    assert r.status_code == 422
    assert fields_of(r) == {
        "parameters.properties.n.type",
        "secrets.1",
        "actions.0.type",
        "actions.1.script",
        "actions.2.shell",
        "actions.3.name",
        "actions.4.method",
        "actions.4.url",
        "actions.4.expect_status",
        "actions.5.values",
        "actions.6.url",
        "actions.6.body",
        "actions.7.name",
    }
    assert "teleport" in r.json()["detail"]
    not_an_object = await client.post(
        "/api/runbooks", json=runbook_body(parameters={"type": "array"}), headers=tenant.admin.headers
    )
    no_actions = await client.post("/api/runbooks", json=runbook_body(actions=[]), headers=tenant.admin.headers)
    assert fields_of(not_an_object) == {"parameters.type"}
    assert fields_of(no_actions) == {"actions"}


async def test_parameters_are_checked_against_the_schema_one_problem_per_field(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    runbook = await create_runbook(tenant, client, parameters=SCHEMA)
    url = f"/api/runbooks/{runbook['id']}/execute"
    bad = await client.post(url, json={"parameters": {"port": 0, "extra": 1}}, headers=tenant.admin.headers)
    assert bad.status_code == 422
    assert fields_of(bad) == {"parameters.host", "parameters.port", "parameters.extra"}
    wrong_type = await client.post(url, json={"parameters": {"host": 7}}, headers=tenant.admin.headers)
    assert fields_of(wrong_type) == {"parameters.host"}
    good = await client.post(url, json={"parameters": {"host": "db1"}}, headers=tenant.admin.headers)
    assert good.status_code == 202, good.text
    assert good.json()["parameters"] == {"host": "db1", "port": 22}
    assert (good.json()["status"], good.json()["kind"], good.json()["runbook_version"]) == ("queued", "runbook", 1)
    assert [s["status"] for s in good.json()["steps"]] == ["pending"]


async def test_runbooks_belong_to_automation_engineers_and_to_their_tenant(
    client: httpx.AsyncClient, make_tenant: TenantFactory
) -> None:
    owner, other = await make_tenant(), await make_tenant()
    runbook = await create_runbook(owner, client)
    await create_secret(owner, client, "OWNERS_ONLY")
    requester = await owner.user()
    assert (await client.get("/api/runbooks", headers=requester.headers)).status_code == 403
    assert (await client.post("/api/runbooks", json=runbook_body(), headers=requester.headers)).status_code == 403
    run = await client.post(f"/api/runbooks/{runbook['id']}/execute", json={}, headers=requester.headers)
    assert run.status_code == 403
    engineer = await owner.user(["automation_engineer"])
    assert (await client.get(f"/api/runbooks/{runbook['id']}", headers=engineer.headers)).status_code == 200

    assert (await client.get(f"/api/runbooks/{runbook['id']}", headers=other.admin.headers)).status_code == 404
    assert (await client.get("/api/runbooks", headers=other.admin.headers)).json()["items"] == []
    borrowed = await client.post(
        "/api/runbooks", json=runbook_body(secrets=["OWNERS_ONLY"]), headers=other.admin.headers
    )
    assert borrowed.status_code == 422
    assert fields_of(borrowed) == {"secrets.0"}
