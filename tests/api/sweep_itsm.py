"""Sweep registry entries for the ITSM routes, and helpers the ITSM tests share (see tests/api/sweeps.py)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable
from typing import Any

import httpx

from tests.api.conftest import Actor, TenantContext
from tests.api.sweeps import BodyFor, Call, Factory, Ids, Setup

CATALOG = "/api/itsm/catalog"
REQUESTS = "/api/itsm/requests"
CHANGES = "/api/itsm/changes"
LAPTOP_FORM = [
    {"name": "model", "label": "Model", "type": "choice", "required": True, "choices": ["13-inch", "15-inch"]},
    {"name": "cost", "label": "Cost", "type": "number", "required": True},
    {"name": "needed_by", "label": "Needed by", "type": "date"},
    {"name": "notes", "label": "Notes", "type": "text", "default": "none"},
]


async def create_item(t: TenantContext, **fields: Any) -> dict[str, Any]:
    body = {"name": f"Laptop {uuid.uuid4().hex[:6]}", "category": "Hardware", "variables": LAPTOP_FORM, **fields}
    response = await t.client.post(CATALOG, json=body, headers=t.admin.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _item_id(t: TenantContext, c: httpx.AsyncClient) -> str:
    return str((await create_item(t))["id"])


async def _request_id(t: TenantContext, c: httpx.AsyncClient) -> str:
    item = await create_item(t)
    body = {"catalog_item_id": item["id"], "variables": {"model": "13-inch", "cost": 1}}
    response = await c.post(REQUESTS, json=body, headers=t.admin.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _change_id(t: TenantContext, c: httpx.AsyncClient) -> str:
    response = await c.post(CHANGES, json={"title": "Patch", "type": "standard"}, headers=t.admin.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _item(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {"item": await _item_id(t, c)}


async def _request(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {"request": await _request_id(t, c)}


async def _change(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {"change": await _change_id(t, c)}


async def _scheduled_then_implementing(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    ids = await _change(c, t)
    await c.post(f"{CHANGES}/{ids['change']}/start", json={}, headers=t.admin.headers)
    return ids


async def _failed_runbook_fulfillment(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    """A request whose runbook fulfillment failed: its queued run cancelled (no worker runs in the sweeps)."""
    runbook = await c.post(
        "/api/runbooks",
        json={
            "name": f"rb-{uuid.uuid4().hex[:8]}",
            "actions": [{"name": "hello", "type": "shell", "script": "echo hello"}],
        },
        headers=t.admin.headers,
    )
    assert runbook.status_code == 201, runbook.text
    item = await create_item(
        t, variables=[], fulfillment_type="runbook", fulfillment_config={"runbook_id": runbook.json()["id"]}
    )
    submitted = await c.post(REQUESTS, json={"catalog_item_id": item["id"]}, headers=t.admin.headers)
    execution = submitted.json()["fulfillment_execution_id"]
    cancelled = await c.post(f"/api/executions/{execution}/cancel", headers=t.admin.headers)
    assert cancelled.status_code == 202, cancelled.text
    failed = await c.get(f"{REQUESTS}/{submitted.json()['id']}", headers=t.admin.headers)
    assert failed.json()["status"] == "fulfillment_failed", failed.text
    return {"request": str(failed.json()["id"])}


async def _nothing(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {}


async def _awaiting_request(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    """A request in fulfillment that a fulfiller handed back to its requester with a question."""
    ids = await _request(c, t)
    body = {"comment": "Which model?"}
    waiting = await c.post(f"{REQUESTS}/{ids['request']}/await-requester", json=body, headers=t.admin.headers)
    assert waiting.status_code == 200, waiting.text
    return ids


def _post(path: str, body: dict[str, Any]) -> Call:
    def call(c: httpx.AsyncClient, t: TenantContext, ids: Ids) -> Any:
        return c.post(path.format(**ids), json=body, headers=t.admin.headers)

    return call


FACTORIES: dict[str, Factory] = {"item_id": _item_id, "request_id": _request_id, "change_id": _change_id}
BODIES: dict[tuple[str, str], BodyFor] = {
    ("put", f"{CATALOG}/{{item_id}}"): lambda ids: {"name": "x"},
    ("post", f"{REQUESTS}/{{request_id}}/comments"): lambda ids: {"comment": "hello"},
    ("post", f"{REQUESTS}/{{request_id}}/await-requester"): lambda ids: {"comment": "Which model?"},
}
AUDIT_SCENARIOS: dict[tuple[str, str], tuple[Setup, Call]] = {
    ("post", CATALOG): (_nothing, _post(CATALOG, {"name": "Phone"})),
    ("put", f"{CATALOG}/{{item_id}}"): (
        _item,
        lambda c, t, i: c.put(f"{CATALOG}/{i['item']}", json={"name": "Renamed"}, headers=t.admin.headers),
    ),
    ("delete", f"{CATALOG}/{{item_id}}"): (
        _item,
        lambda c, t, i: c.delete(f"{CATALOG}/{i['item']}", headers=t.admin.headers),
    ),
    ("post", REQUESTS): (
        _item,
        lambda c, t, i: c.post(
            REQUESTS,
            json={"catalog_item_id": i["item"], "variables": {"model": "13-inch", "cost": 5}},
            headers=t.admin.headers,
        ),
    ),
    ("post", f"{REQUESTS}/{{request_id}}/comments"): (
        _request,
        _post(REQUESTS + "/{request}/comments", {"comment": "hi"}),
    ),
    ("post", f"{REQUESTS}/{{request_id}}/cancel"): (_request, _post(REQUESTS + "/{request}/cancel", {})),
    ("post", f"{REQUESTS}/{{request_id}}/fulfill"): (_request, _post(REQUESTS + "/{request}/fulfill", {})),
    ("post", f"{REQUESTS}/{{request_id}}/await-requester"): (
        _request,
        _post(REQUESTS + "/{request}/await-requester", {"comment": "Which model?"}),
    ),
    ("post", f"{REQUESTS}/{{request_id}}/resume"): (_awaiting_request, _post(REQUESTS + "/{request}/resume", {})),
    # The new run's start is the one event ("runbook.executed", the retrier as actor, the request as origin).
    ("post", f"{REQUESTS}/{{request_id}}/retry-fulfillment"): (
        _failed_runbook_fulfillment,
        _post(REQUESTS + "/{request}/retry-fulfillment", {}),
    ),
    ("post", CHANGES): (_nothing, _post(CHANGES, {"title": "Reboot", "type": "standard"})),
    ("post", f"{CHANGES}/{{change_id}}/start"): (_change, _post(CHANGES + "/{change}/start", {})),
    ("post", f"{CHANGES}/{{change_id}}/cancel"): (_change, _post(CHANGES + "/{change}/cancel", {})),
    ("post", f"{CHANGES}/{{change_id}}/complete"): (
        _scheduled_then_implementing,
        _post(CHANGES + "/{change}/complete", {"comment": "done"}),
    ),
    ("post", f"{CHANGES}/{{change_id}}/fail"): (
        _scheduled_then_implementing,
        _post(CHANGES + "/{change}/fail", {"comment": "rolled back"}),
    ),
}


async def submit_request(actor: Actor, item_id: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """The actor submits a request for the catalog item (201), and the request as the API answers it."""
    body = {"catalog_item_id": item_id, "variables": variables or {}}
    response = await actor.tenant.client.post(REQUESTS, json=body, headers=actor.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


FULFILLMENT_ENDED = frozenset({"fulfilled", "fulfillment_failed"})


async def request_until(
    client: httpx.AsyncClient, headers: dict[str, str], request_id: str, statuses: Iterable[str] = FULFILLMENT_ENDED
) -> dict[str, Any]:
    """Polls the request (up to 30 s) until its status is one of `statuses`; the request as then read."""
    wanted, deadline = frozenset(statuses), time.monotonic() + 30
    while True:
        body: dict[str, Any] = (await client.get(f"{REQUESTS}/{request_id}", headers=headers)).json()
        if body["status"] in wanted:
            return body
        assert time.monotonic() < deadline, body
        await asyncio.sleep(0.1)
