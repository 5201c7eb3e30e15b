"""One word for the free text of an action (issue 11, item 9): `comment`, as approve/reject take it; `note` is a
deprecated alias for one release, and both given with different texts is a 422 naming `comment`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.conftest import TenantContext
from tests.api.sweep_approvals import signed_in
from tests.api.sweep_itsm import CHANGES, REQUESTS, create_item

FORM = [{"name": "what", "type": "string"}]


async def _waiting_request(tenant: TenantContext) -> str:
    item = await create_item(tenant, variables=FORM)
    response = await tenant.client.post(REQUESTS, json={"catalog_item_id": item["id"]}, headers=tenant.admin.headers)
    assert response.json()["status"] == "in_fulfillment"
    return str(response.json()["id"])


@pytest.mark.parametrize("key", ["comment", "note"])
async def test_manual_fulfil_takes_comment_and_still_accepts_note(
    tenant: TenantContext, app: FastAPI, key: str
) -> None:
    fulfiller = await signed_in(tenant, app, roles=["fulfiller"])
    request_id = await _waiting_request(tenant)
    done = await tenant.client.post(
        f"{REQUESTS}/{request_id}/fulfill", json={key: "handed over at the desk"}, headers=fulfiller.headers
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "fulfilled"
    assert done.json()["fulfillment_note"] == "handed over at the desk"
    assert done.json()["timeline"][-1]["message"] == "handed over at the desk"


async def test_manual_fulfil_with_the_same_comment_and_note_is_accepted(tenant: TenantContext) -> None:
    request_id = await _waiting_request(tenant)
    body = {"comment": "shipped", "note": "shipped", "outcome": "fulfilled"}
    done = await tenant.client.post(f"{REQUESTS}/{request_id}/fulfill", json=body, headers=tenant.admin.headers)
    assert done.status_code == 200, done.text
    assert done.json()["fulfillment_note"] == "shipped"


async def test_manual_fulfil_with_different_comment_and_note_is_a_422_naming_comment(tenant: TenantContext) -> None:
    request_id = await _waiting_request(tenant)
    body = {"comment": "shipped", "note": "lost in transit"}
    refused = await tenant.client.post(f"{REQUESTS}/{request_id}/fulfill", json=body, headers=tenant.admin.headers)
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["field"] == "comment"
    assert "deprecated alias" in error["message"]
    unchanged = (await tenant.client.get(f"{REQUESTS}/{request_id}", headers=tenant.admin.headers)).json()
    assert unchanged["status"] == "in_fulfillment"


async def test_change_actions_take_comment_accept_note_and_refuse_both_when_they_differ(
    tenant: TenantContext,
) -> None:
    created = await tenant.client.post(
        CHANGES, json={"title": "Rotate logs", "type": "standard"}, headers=tenant.admin.headers
    )
    change = created.json()["id"]
    headers = tenant.admin.headers
    started = await tenant.client.post(f"{CHANGES}/{change}/start", json={"note": "window open"}, headers=headers)
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "implementing"
    assert started.json()["timeline"][-1]["message"] == "window open"
    both = await tenant.client.post(
        f"{CHANGES}/{change}/complete", json={"comment": "ok", "note": "not ok"}, headers=headers
    )
    assert both.status_code == 422, both.text
    assert both.json()["errors"][0]["field"] == "comment"
    completed = await tenant.client.post(f"{CHANGES}/{change}/complete", json={"comment": "all green"}, headers=headers)
    assert completed.status_code == 200, completed.text
    assert completed.json()["status"] == "completed"
    assert completed.json()["outcome_note"] == "all green"


async def test_the_openapi_document_marks_note_as_the_deprecated_alias_of_comment(client: httpx.AsyncClient) -> None:
    schemas: dict[str, Any] = (await client.get("/openapi.json")).json()["components"]["schemas"]
    for name in ("FulfillIn", "OutcomeIn"):
        properties = schemas[name]["properties"]
        assert "comment" in properties
        assert properties["note"]["deprecated"] is True, name
        assert "comment" in properties["note"]["description"]
