"""Escalation settings of ITSM approval definitions: checked when saved (422 naming the field), a group target stored
by id, and shown by the "who approves this?" preview."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import TenantContext
from tests.api.sweep_approvals import DEFINITIONS, create_definition, step


async def _refused(tenant: TenantContext, **options: Any) -> set[str]:
    body = {"name": "ladder", "steps": [step("lead", 1, "any", **options)]}
    response = await tenant.client.post(DEFINITIONS, json=body, headers=tenant.admin.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return {e["field"] for e in response.json()["errors"]}


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"timeout": 600, "on_timeout": "reject", "escalate_after": 600, "escalate_to": "manager"}, "escalate_after"),
        ({"timeout": 600, "on_timeout": "reject", "escalate_after": 900, "escalate_to": "manager"}, "escalate_after"),
        ({"escalate_after": 60, "escalate_to": "group:no-such-group"}, "escalate_to"),
        ({"escalate_after": 60, "escalate_to": "the boss"}, "escalate_to"),
        ({"escalate_after": 60}, "escalate_to"),
        ({"escalate_to": "fallback"}, "escalate_to"),
        ({"escalation_replaces": True}, "escalation_replaces"),
        ({"escalate_after": 0, "escalate_to": "fallback"}, "escalate_after"),
    ],
)
async def test_bad_escalation_settings_are_refused_naming_the_field(
    tenant: TenantContext, options: dict[str, Any], field: str
) -> None:
    assert f"steps.0.{field}" in await _refused(tenant, **options)


async def test_a_group_target_is_stored_by_id_and_the_preview_says_what_happens(tenant: TenantContext) -> None:
    group = (await tenant.client.post("/api/groups", json={"name": "desk"}, headers=tenant.admin.headers)).json()
    ladder = await create_definition(
        tenant,
        step("lead", 1, "any", timeout=7200, on_timeout="reject", escalate_after=3600, escalate_to="group:desk"),
    )
    saved = ladder["steps"][0]
    assert (saved["escalate_after"], saved["escalate_to"], saved["escalation_replaces"]) == (
        3600,
        f"group:{group['id']}",
        False,
    )
    preview = await tenant.client.post(f"{DEFINITIONS}/{ladder['id']}/preview", json={}, headers=tenant.admin.headers)
    assert preview.status_code == 200, preview.text
    notes = preview.json()["orders"][0]["steps"][0]["notes"]
    assert f"after 3600 s without a decision: escalated to group:{group['id']}" in notes
