"""Tenant default approval definitions per change type (PRODUCT.md §4, issue 11 item 3).

Only standard changes skip approval; a normal or emergency change that names no definition takes its tenant's
default for its type (`change_definitions` in /api/tenant), and without either it is refused naming the field.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tenantplane.approvals.definitions import archive_definition
from tenantplane.identity.auth import Principal
from tenantplane.identity.schemas import ChangeDefinitionsUpdate, TenantSettingsUpdate
from tenantplane.identity.tenant_settings import update_tenant_settings
from tenantplane.kit.errors import InUse
from tests.api.conftest import TenantContext, TenantFactory
from tests.api.sweep_approvals import DEFINITIONS, create_definition, decide, signed_in, step
from tests.api.sweep_automation import create_workflow, workflow_body
from tests.api.sweep_automation import step as workflow_step
from tests.api.sweep_itsm import CHANGES

TENANT = "/api/tenant"


async def set_defaults(t: TenantContext, **defaults: str | None) -> httpx.Response:
    return await t.client.patch(TENANT, json={"change_definitions": defaults}, headers=t.admin.headers)


async def defaults_of(t: TenantContext) -> dict[str, Any]:
    response = await t.client.get(TENANT, headers=t.admin.headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()["change_definitions"]
    return found


async def test_a_tenant_sets_merges_and_clears_its_default_change_definitions(tenant: TenantContext) -> None:
    tech_lead = await create_definition(tenant, step("lead", 1, "any"))
    emergency_cab = await create_definition(tenant, step("ecab", 1, "any"))
    assert await defaults_of(tenant) == {"normal": None, "emergency": None}

    assert (await set_defaults(tenant, normal=tech_lead["id"])).status_code == 200
    both = await set_defaults(tenant, emergency=emergency_cab["id"])

    assert both.status_code == 200, both.text
    assert both.json()["change_definitions"] == {"normal": tech_lead["id"], "emergency": emergency_cab["id"]}
    assert await defaults_of(tenant) == {"normal": tech_lead["id"], "emergency": emergency_cab["id"]}
    cleared = await set_defaults(tenant, normal=None)
    assert cleared.json()["change_definitions"] == {"normal": None, "emergency": emergency_cab["id"]}
    audit = await tenant.client.get(
        "/api/audit", params={"action": "tenant.settings_updated"}, headers=tenant.admin.headers
    )
    assert audit.json()["items"][0]["summary"] == {"change_definitions": {"emergency": emergency_cab["id"]}}


async def test_a_default_must_be_an_active_approval_definition_of_the_tenant(
    tenant: TenantContext, make_tenant: TenantFactory
) -> None:
    kept = await create_definition(tenant, step("lead", 1, "any"))
    assert (await set_defaults(tenant, normal=kept["id"])).status_code == 200
    archived = await create_definition(tenant, step("old", 1, "any"))
    await tenant.client.delete(f"{DEFINITIONS}/{archived['id']}", headers=tenant.admin.headers)
    workflow = await create_workflow(tenant, workflow_body(workflow_step("wait", "delay", seconds=1)))
    other = await make_tenant()
    foreign = await create_definition(other, step("theirs", 1, "any"))
    cases = {
        "archived": (archived["id"], "is archived"),
        "automation workflow": (workflow["id"], "is an automation workflow, not an approval definition"),
        "another tenant's": (foreign["id"], "is not an approval definition of this tenant"),
        "unknown": (str(uuid.uuid4()), "is not an approval definition of this tenant"),
    }
    for case, (given, says) in cases.items():
        refused = await set_defaults(tenant, emergency=given)

        assert refused.status_code == 422, case
        [error] = refused.json()["errors"]
        assert error["field"] == "change_definitions.emergency", case
        assert says in error["message"], case
    both_bad = await set_defaults(tenant, normal=archived["id"], emergency=foreign["id"])
    assert [e["field"] for e in both_bad.json()["errors"]] == [
        "change_definitions.normal",
        "change_definitions.emergency",
    ]
    assert await defaults_of(tenant) == {"normal": kept["id"], "emergency": None}, "a refused PATCH changes nothing"


@pytest.mark.parametrize("change_type", ["normal", "emergency"])
async def test_a_change_without_definition_and_without_a_default_is_refused_pointing_at_the_default(
    tenant: TenantContext, change_type: str
) -> None:
    other_type = {"normal": "emergency", "emergency": "normal"}[change_type]
    other = await create_definition(tenant, step("cab", 1, "any"))
    assert (await set_defaults(tenant, **{other_type: other["id"]})).status_code == 200

    refused = await tenant.client.post(
        CHANGES, json={"title": "Hotfix", "type": change_type}, headers=tenant.admin.headers
    )

    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["field"] == "workflow_definition_id"
    assert "only standard changes skip approval" in error["message"]
    assert "change_definitions in /api/tenant" in error["message"]


@pytest.mark.parametrize("change_type", ["normal", "emergency"])
async def test_a_change_without_definition_takes_the_tenant_default_and_waits_for_its_approval(
    tenant: TenantContext, app: FastAPI, change_type: str
) -> None:
    cab = await signed_in(tenant, app, roles=["cab"])
    engineer = await tenant.user()
    ladder = await create_definition(tenant, step("cab", 1, "role", "cab"))
    assert (await set_defaults(tenant, **{change_type: ladder["id"]})).status_code == 200

    created = await tenant.client.post(CHANGES, json={"title": "Hotfix", "type": change_type}, headers=engineer.headers)

    assert created.status_code == 201, created.text
    change = created.json()
    assert (change["status"], change["workflow_definition_id"]) == ("pending_approval", ladder["id"])
    instance = await tenant.client.get(
        f"/api/workflows/instances/{change['approval_instance_id']}", headers=engineer.headers
    )
    assert (instance.json()["definition_id"], instance.json()["status"]) == (ladder["id"], "pending")
    assert (await decide(cab, change["approval_instance_id"])).status_code == 200
    after = (await tenant.client.get(f"{CHANGES}/{change['id']}", headers=engineer.headers)).json()
    assert after["status"] == "scheduled"


async def test_a_change_naming_its_own_definition_is_not_overridden_by_the_default(tenant: TenantContext) -> None:
    default = await create_definition(tenant, step("ecab", 1, "any"))
    own = await create_definition(tenant, step("cab", 1, "any"))
    assert (await set_defaults(tenant, emergency=default["id"])).status_code == 200

    body = {"title": "Hotfix", "type": "emergency", "workflow_definition_id": own["id"]}
    change = (await tenant.client.post(CHANGES, json=body, headers=tenant.admin.headers)).json()

    assert change["workflow_definition_id"] == own["id"]


async def test_standard_changes_stay_pre_approved_whatever_the_defaults(tenant: TenantContext) -> None:
    ladder = await create_definition(tenant, step("cab", 1, "any"))
    assert (await set_defaults(tenant, normal=ladder["id"], emergency=ladder["id"])).status_code == 200

    change = (
        await tenant.client.post(
            CHANGES, json={"title": "Rotate logs", "type": "standard"}, headers=tenant.admin.headers
        )
    ).json()

    assert (change["status"], change["workflow_definition_id"], change["approval_instance_id"]) == (
        "scheduled",
        None,
        None,
    )


async def test_a_default_archived_by_force_refuses_changes_naming_the_default(tenant: TenantContext) -> None:
    ladder = await create_definition(tenant, step("cab", 1, "any"), name="Emergency CAB")
    assert (await set_defaults(tenant, emergency=ladder["id"])).status_code == 200
    forced = await tenant.client.delete(
        f"{DEFINITIONS}/{ladder['id']}", params={"force": "true"}, headers=tenant.admin.headers
    )
    assert forced.status_code == 204

    refused = await tenant.client.post(
        CHANGES, json={"title": "Hotfix", "type": "emergency"}, headers=tenant.admin.headers
    )

    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["field"] == "workflow_definition_id"
    assert "default for emergency changes (change_definitions.emergency)" in error["message"]
    assert "approval definition 'Emergency CAB' is archived" in error["message"]


def _admin(t: TenantContext) -> Principal:
    return Principal(
        kind="user",
        id=uuid.UUID(t.admin.id),
        label=t.admin.email,
        tenant_id=uuid.UUID(t.id),
        roles=frozenset({"admin"}),
        via="test",
    )


async def test_an_archive_racing_a_new_default_waits_for_it_and_then_is_refused(
    app: FastAPI, tenant: TenantContext
) -> None:
    ladder = await create_definition(tenant, step("cab", 1, "any"))
    holding, release = asyncio.Event(), asyncio.Event()

    async def set_default() -> None:
        async with app.state.db.transaction() as session:
            body = TenantSettingsUpdate(change_definitions=ChangeDefinitionsUpdate(emergency=uuid.UUID(ladder["id"])))
            await update_tenant_settings(session, actor=_admin(tenant), data=body)
            holding.set()
            await release.wait()

    async def archive() -> None:
        async with app.state.db.transaction() as session:
            await archive_definition(session, actor=_admin(tenant), definition_id=uuid.UUID(ladder["id"]))

    first = asyncio.create_task(set_default())
    await holding.wait()
    other = asyncio.create_task(archive())
    try:
        await asyncio.sleep(0.5)
        waited = not other.done()
    finally:
        release.set()  # never leave the first transaction (and its locks) open, even when failing
        await first
    assert waited, "the archive did not wait for the default being saved"
    with pytest.raises(InUse):
        await other
    read = await tenant.client.get(f"{DEFINITIONS}/{ladder['id']}", headers=tenant.admin.headers)
    assert read.json()["status"] == "active"
