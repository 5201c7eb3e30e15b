"""Change requests (PRODUCT.md §4): standard changes are pre-approved, normal ones wait for their ladder."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.api.conftest import TenantContext
from tests.api.sweep_approvals import create_definition, decide, signed_in, step
from tests.api.sweep_itsm import CHANGES


async def test_standard_change_without_definition_is_scheduled_at_once(tenant: TenantContext) -> None:
    response = await tenant.client.post(
        CHANGES, json={"title": "Rotate logs", "type": "standard"}, headers=tenant.admin.headers
    )
    assert response.status_code == 201
    change = response.json()
    assert change["number"] == "CHG0000001"
    assert change["status"] == "scheduled"
    started = await tenant.client.post(f"{CHANGES}/{change['id']}/start", json={}, headers=tenant.admin.headers)
    assert started.json()["status"] == "implementing"
    completed = await tenant.client.post(
        f"{CHANGES}/{change['id']}/complete", json={"note": "ok"}, headers=tenant.admin.headers
    )
    assert completed.json()["status"] == "completed"
    assert completed.json()["outcome_note"] == "ok"
    again = await tenant.client.post(f"{CHANGES}/{change['id']}/fail", json={}, headers=tenant.admin.headers)
    assert again.status_code == 409


async def test_normal_change_requires_an_approval_definition(tenant: TenantContext) -> None:
    response = await tenant.client.post(
        CHANGES, json={"title": "DB upgrade", "type": "normal"}, headers=tenant.admin.headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "workflow_definition_id"


async def test_normal_change_goes_tech_lead_then_cab_then_scheduled(tenant: TenantContext, app: FastAPI) -> None:
    lead = await signed_in(tenant, app, roles=["tech_lead"])
    cab = await signed_in(tenant, app, roles=["cab"])
    engineer = await tenant.user()
    ladder = await create_definition(tenant, step("tech lead", 1, "role", "tech_lead"), step("cab", 2, "role", "cab"))
    body = {
        "title": "DB upgrade",
        "type": "normal",
        "risk": "high",
        "workflow_definition_id": ladder["id"],
        "planned_start": "2026-12-01T22:00:00Z",
        "planned_end": "2026-12-01T23:00:00Z",
    }
    change = (await tenant.client.post(CHANGES, json=body, headers=engineer.headers)).json()
    assert change["status"] == "pending_approval"
    early = await tenant.client.post(f"{CHANGES}/{change['id']}/start", json={}, headers=engineer.headers)
    assert early.status_code == 409
    await decide(lead, change["approval_instance_id"])
    await decide(cab, change["approval_instance_id"])
    scheduled = (await tenant.client.get(f"{CHANGES}/{change['id']}", headers=engineer.headers)).json()
    assert scheduled["status"] == "scheduled"
    assert [e["kind"] for e in scheduled["timeline"]] == ["submitted", "scheduled"]


async def test_rejected_change_and_planned_window_checks(tenant: TenantContext, app: FastAPI) -> None:
    cab = await signed_in(tenant, app, roles=["cab"])
    ladder = await create_definition(tenant, step("cab", 1, "role", "cab"))
    bad_window = await tenant.client.post(
        CHANGES,
        json={
            "title": "x",
            "type": "emergency",
            "workflow_definition_id": ladder["id"],
            "planned_start": "2026-12-02T00:00:00Z",
            "planned_end": "2026-12-01T00:00:00Z",
        },
        headers=tenant.admin.headers,
    )
    assert bad_window.status_code == 422
    assert bad_window.json()["errors"][0]["field"] == "planned_end"
    change = (
        await tenant.client.post(
            CHANGES,
            json={"title": "Hotfix", "type": "emergency", "workflow_definition_id": ladder["id"]},
            headers=tenant.admin.headers,
        )
    ).json()
    await decide(cab, change["approval_instance_id"], "reject", comment="not now")
    after = (await tenant.client.get(f"{CHANGES}/{change['id']}", headers=tenant.admin.headers)).json()
    assert after["status"] == "rejected"


async def test_only_requester_or_fulfillers_move_a_change(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    change = (
        await client.post(CHANGES, json={"title": "Reboot", "type": "standard"}, headers=tenant.admin.headers)
    ).json()
    bystander = await tenant.user()
    response = await client.post(f"{CHANGES}/{change['id']}/start", json={}, headers=bystander.headers)
    assert response.status_code == 403


@pytest.mark.parametrize("change_type", ["normal", "emergency"])
async def test_only_a_standard_change_may_skip_approval(tenant: TenantContext, change_type: str) -> None:
    before = (await tenant.client.get(CHANGES, headers=tenant.admin.headers)).json()["items"]
    refused = await tenant.client.post(
        CHANGES, json={"title": "Hotfix", "type": change_type}, headers=tenant.admin.headers
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [
        {
            "field": "workflow_definition_id",
            "message": f"a {change_type} change needs an approval definition (only standard changes skip approval); "
            "name one here, or a tenant admin can set a default per change type (change_definitions in /api/tenant)",
        }
    ]
    assert (await tenant.client.get(CHANGES, headers=tenant.admin.headers)).json()["items"] == before
