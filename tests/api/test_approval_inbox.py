"""The approval inbox (`?status=pending&approver=me`), who may read an instance, filters and tenant isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from tests.api.conftest import Actor, TenantContext
from tests.api.sweep_approvals import INSTANCES, create_definition, decide, several, signed_in, start_instance, step


async def _inbox(actor: Actor) -> list[dict[str, Any]]:
    params = {"status": "pending", "approver": "me"}
    response = await actor.tenant.client.get(INSTANCES, params=params, headers=actor.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _ids(actor: Actor, **params: str) -> list[str]:
    response = await actor.tenant.client.get(INSTANCES, params=params, headers=actor.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_the_inbox_shows_only_what_i_can_decide_now(tenant: TenantContext, app: FastAPI) -> None:
    ann, bob, requester = await several(tenant, app, 3)
    definition = await create_definition(tenant, step("lead", 1, "user", ann.id), step("cab", 2, "user", bob.id))
    instance = await start_instance(requester, definition["id"], {"item": "Laptop"})

    first = await _inbox(ann)
    assert [(i["id"], i["can_decide"], i["variables"]) for i in first] == [
        (instance["id"], ["lead"], {"item": "Laptop"})
    ]
    assert first[0]["link"] == f"/approvals/instances/{instance['id']}"
    assert (await _inbox(bob), await _inbox(requester)) == ([], [])

    await decide(ann, instance["id"])

    assert await _inbox(ann) == []
    assert [i["id"] for i in await _inbox(bob)] == [instance["id"]]
    await decide(bob, instance["id"])
    assert await _inbox(bob) == []


async def test_a_delegate_sees_the_items_of_whom_they_stand_in_for(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    approver, delegate, requester, stranger = await several(tenant, app, 4)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    instance = await start_instance(requester, definition["id"])
    until = (datetime.now(UTC) + timedelta(days=1)).isoformat()

    response = await client.patch(
        f"/api/users/{approver.id}",
        json={"delegate_id": delegate.id, "delegate_until": until},
        headers=tenant.admin.headers,
    )

    assert response.status_code == 200, response.text
    assert [(i["id"], i["can_decide"]) for i in await _inbox(delegate)] == [(instance["id"], ["lead"])]
    assert await _inbox(stranger) == []
    await client.patch(f"/api/users/{approver.id}", json={"delegate_id": stranger.id}, headers=tenant.admin.headers)
    assert await _inbox(delegate) == [], "the delegation moved on"


async def test_only_participants_and_staff_read_an_instance(
    client: httpx.AsyncClient, tenant: TenantContext, app: FastAPI
) -> None:
    approver, requester, stranger = await several(tenant, app, 3)
    fulfiller = await signed_in(tenant, app, roles=["fulfiller"])
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    instance = await start_instance(requester, definition["id"])
    url = f"{INSTANCES}/{instance['id']}"

    statuses = {
        who: (await client.get(url, headers=actor.headers)).status_code
        for who, actor in {
            "approver": approver,
            "requester": requester,
            "stranger": stranger,
            "staff": fulfiller,
        }.items()
    }

    assert statuses == {"approver": 200, "requester": 200, "stranger": 403, "staff": 200}
    assert await _ids(stranger) == []
    assert await _ids(requester, requester="me") == [instance["id"]]
    assert await _ids(fulfiller) == [instance["id"]]
    assert (await client.get(url + "/events", headers=stranger.headers)).status_code == 403


async def test_another_tenants_instances_and_definitions_are_not_found(
    client: httpx.AsyncClient, tenant: TenantContext, make_tenant: Any, app: FastAPI
) -> None:
    other: TenantContext = await make_tenant()
    approver, requester = await several(tenant, app, 2)
    definition = await create_definition(tenant, step("lead", 1, "user", approver.id))
    instance = await start_instance(requester, definition["id"])
    intruder = await signed_in(other, app, roles=["admin"])

    for method, url in (
        ("get", f"{INSTANCES}/{instance['id']}"),
        ("post", f"{INSTANCES}/{instance['id']}/approve"),
        ("post", f"{INSTANCES}/{instance['id']}/cancel"),
        ("get", f"/api/workflows/definitions/{definition['id']}"),
        ("post", f"/api/workflows/definitions/{definition['id']}/preview"),
    ):
        assert (await client.request(method, url, headers=intruder.headers)).status_code == 404, url
    assert (await client.get(INSTANCES, headers=intruder.headers)).json()["items"] == []
    start = {"definition_id": definition["id"], "record_type": "test.record", "record_id": instance["record_id"]}
    refused = await client.post(INSTANCES, json=start, headers=intruder.headers)
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (422, "definition_id")
    crossed = await client.post(
        "/api/workflows/definitions",
        json={"name": "x", "steps": [step("lead", 1, "user", approver.id)]},
        headers=intruder.headers,
    )
    assert (crossed.status_code, crossed.json()["errors"][0]["field"]) == (422, "steps.0.approver_value")


async def test_instances_filter_by_record_and_definition_and_page_with_a_cursor(
    tenant: TenantContext, app: FastAPI
) -> None:
    approver, requester = await several(tenant, app, 2)
    first = await create_definition(tenant, step("lead", 1, "user", approver.id))
    second = await create_definition(tenant, step("lead", 1, "user", approver.id))
    started = [await start_instance(requester, first["id"]) for _ in range(3)]
    other = await start_instance(requester, second["id"])
    await decide(approver, started[0]["id"])

    assert await _ids(requester, definition_id=second["id"]) == [other["id"]]
    assert await _ids(requester, record_id=started[1]["record_id"]) == [started[1]["id"]]
    assert await _ids(requester, status="approved") == [started[0]["id"]]
    pages: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": "2", "record_type": "test.record", **({"cursor": cursor} if cursor else {})}
        response = await tenant.client.get(INSTANCES, params=params, headers=requester.headers)
        pages += [item["id"] for item in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if not cursor:
            break
    assert pages == [other["id"], *(s["id"] for s in reversed(started))]
    bad = await tenant.client.get(INSTANCES, params={"approver": "someone"}, headers=requester.headers)
    assert bad.status_code == 422
