"""Notification channels: CRUD, per-type validation, secrets encrypted at rest and never shown, egress, permissions."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tenantplane.kit.crypto import decrypt
from tenantplane.kit.errors import ValidationFailed
from tenantplane.notifications.service import notify
from tenantplane.settings import Settings
from tests.api.conftest import TenantContext

CHANNELS = "/api/notifications/channels"
MASK = "********"
EMAIL = {
    "host": "127.0.0.1",
    "port": 2525,
    "tls": "starttls",
    "username": "mailer",
    "password": "smtp-pa55word",
    "from": "plane@example.com",
}
HOOK_HEADERS = {"Authorization": "Bearer hook-secret-123", "X-Api-Key": "key-secret-456", "X-Team": "ops"}
APPRISE_URL = "json://127.0.0.1:9/apprise/tok3n-apprise-789"
SECRETS = ("smtp-pa55word", "hook-secret-123", "key-secret-456", "tok3n-apprise-789")


async def _create(client: httpx.AsyncClient, t: TenantContext, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(CHANNELS, json=body, headers=t.admin.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def _secret_channels(client: httpx.AsyncClient, t: TenantContext) -> list[dict[str, Any]]:
    return [
        await _create(client, t, {"name": "mail", "type": "email", "config": EMAIL}),
        await _create(
            client,
            t,
            {"name": "hook", "type": "webhook", "config": {"url": "http://127.0.0.1:9/h", "headers": HOOK_HEADERS}},
        ),
        await _create(client, t, {"name": "apprise", "type": "apprise", "config": {"url": APPRISE_URL}}),
    ]


async def test_channel_crud_round_trip(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    created = await _create(client, tenant, {"name": "mail", "type": "email", "config": EMAIL})
    assert created["config"]["password"] == MASK
    assert created["config"]["from"] == "plane@example.com"
    assert created["default"] is False
    assert created["retry"] == {"max_attempts": 5, "backoff_seconds": 30.0}
    url = f"{CHANNELS}/{created['id']}"
    assert (await client.get(url, headers=tenant.admin.headers)).json() == created
    listed = await client.get(CHANNELS, params={"type": "email"}, headers=tenant.admin.headers)
    assert [c["id"] for c in listed.json()["items"]] == [created["id"]]
    assert (await client.get(CHANNELS, params={"type": "webhook"}, headers=tenant.admin.headers)).json()["items"] == []

    replaced = await client.put(
        url,
        json={
            "name": "mail2",
            "type": "email",
            "config": {**created["config"], "port": 587},
            "retry": {"max_attempts": 2},
        },
        headers=tenant.admin.headers,
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["name"] == "mail2"
    assert replaced.json()["config"]["port"] == 587
    assert replaced.json()["retry"]["max_attempts"] == 2

    assert (await client.delete(url, headers=tenant.admin.headers)).status_code == 204
    assert (await client.get(url, headers=tenant.admin.headers)).status_code == 404


async def test_secrets_are_encrypted_at_rest_and_never_returned(
    client: httpx.AsyncClient, tenant: TenantContext, settings: Settings
) -> None:
    created = await _secret_channels(client, tenant)
    _, hook, apprise = created
    assert hook["config"]["headers"] == {"Authorization": MASK, "X-Api-Key": MASK, "X-Team": "ops"}
    assert apprise["config"] == {"url": f"json://{MASK}"}
    async with tenant.database.transaction() as session:
        rows = (
            await session.execute(text("SELECT name, config::text, secret_config FROM notification_channels"))
        ).all()
    stored = {name: (config, sealed) for name, config, sealed in rows}
    for secret in SECRETS:
        assert not any(secret in config or secret in sealed for config, sealed in stored.values())
    opened = {
        n: json.loads(decrypt(settings.resolved_secret_key, s, purpose="channels")) for n, (_, s) in stored.items()
    }
    assert opened["mail"] == {"password": "smtp-pa55word"}
    assert opened["hook"] == {"headers": {"Authorization": "Bearer hook-secret-123", "X-Api-Key": "key-secret-456"}}
    assert opened["apprise"] == {"url": APPRISE_URL}

    shown = [
        (await client.get(CHANNELS, headers=tenant.admin.headers)).text,
        *[(await client.get(f"{CHANNELS}/{c['id']}", headers=tenant.admin.headers)).text for c in created],
        (await client.get("/api/audit", headers=tenant.admin.headers)).text,
    ]
    for secret in SECRETS:
        assert not any(secret in page for page in shown), secret


async def test_masked_secrets_sent_back_keep_their_value_and_null_clears(
    client: httpx.AsyncClient, tenant: TenantContext, settings: Settings
) -> None:
    mail, hook, apprise = await _secret_channels(client, tenant)
    for channel in (mail, hook, apprise):
        body = {"name": channel["name"], "type": channel["type"], "config": channel["config"]}
        response = await client.put(f"{CHANNELS}/{channel['id']}", json=body, headers=tenant.admin.headers)
        assert response.status_code == 200, response.text
    new_headers = {"Authorization": "Bearer rotated", "X-Api-Key": MASK}
    await client.put(
        f"{CHANNELS}/{hook['id']}",
        json={"name": "hook", "type": "webhook", "config": {"url": "http://127.0.0.1:9/h", "headers": new_headers}},
        headers=tenant.admin.headers,
    )
    cleared = await client.put(
        f"{CHANNELS}/{mail['id']}",
        json={"name": "mail", "type": "email", "config": {**mail["config"], "password": None}},
        headers=tenant.admin.headers,
    )
    assert cleared.json()["config"]["password"] is None
    async with tenant.database.transaction() as session:
        rows = (await session.execute(text("SELECT name, secret_config FROM notification_channels"))).all()
    opened = {
        name: json.loads(decrypt(settings.resolved_secret_key, sealed, purpose="channels")) if sealed else {}
        for name, sealed in rows
    }
    assert opened == {
        "mail": {},
        "hook": {"headers": {"Authorization": "Bearer rotated", "X-Api-Key": "key-secret-456"}},
        "apprise": {"url": APPRISE_URL},
    }


INVALID: list[tuple[dict[str, Any], str]] = [
    ({"type": "email", "config": {"from": "a@example.com"}}, "config.host"),
    ({"type": "email", "config": {**EMAIL, "tls": "maybe"}}, "config.tls"),
    ({"type": "email", "config": {**EMAIL, "from": "not-an-address"}}, "config.from"),
    ({"type": "email", "config": {**EMAIL, "port": 70000}}, "config.port"),
    ({"type": "email", "config": {**EMAIL, "to": ["nobody"]}}, "config.to.0"),
    ({"type": "email", "config": {**EMAIL, "surprise": 1}}, "config.surprise"),
    ({"type": "webhook", "config": {"url": "ftp://127.0.0.1/x"}}, "config.url"),
    ({"type": "webhook", "config": {}}, "config.url"),
    ({"type": "webhook", "config": {"url": "http://127.0.0.1:9/h", "method": "GET"}}, "config.method"),
    ({"type": "webhook", "config": {"url": "http://127.0.0.1:9/h", "headers": {"X-A": "a\r\nb"}}}, "config.headers"),
    ({"type": "webhook", "config": {"url": "http://127.0.0.1:9/h", "headers": {"Host": "x"}}}, "config.headers"),
    ({"type": "apprise", "config": {"url": "nosuchservice://x"}}, "config.url"),
    ({"type": "in_app", "config": {}}, "config.users"),
    ({"type": "in_app", "config": {"users": [str(uuid.uuid4())]}}, "config.users"),
    ({"type": "in_app", "config": {"groups": [str(uuid.uuid4())]}}, "config.groups"),
    ({"type": "in_app", "config": {"users": ["not-a-uuid"]}}, "config.users.0"),
    ({"type": "pigeon", "config": {}}, "type"),
    ({"type": "webhook", "config": {"url": "http://127.0.0.1:9/h"}, "default": True}, "default"),
    (
        {"type": "webhook", "config": {"url": "http://127.0.0.1:9/h"}, "retry": {"max_attempts": 0}},
        "retry.max_attempts",
    ),
]


async def test_invalid_configs_are_422_naming_the_field(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    failures = []
    for body, field in INVALID:
        response = await client.post(CHANNELS, json={"name": "c", **body}, headers=tenant.admin.headers)
        named = [e["field"] for e in response.json().get("errors", [])]
        if response.status_code != 422 or field not in named:
            failures.append(f"{body} -> {response.status_code} {named}, expected {field}")
    assert failures == []
    assert (await client.get(CHANNELS, headers=tenant.admin.headers)).json()["items"] == []


async def test_in_app_channels_take_only_users_and_groups_of_the_tenant(
    client: httpx.AsyncClient, tenant: TenantContext, make_tenant: Any
) -> None:
    other: TenantContext = await make_tenant()
    foreign = await other.member()
    refused = await client.post(
        CHANNELS, json={"name": "c", "type": "in_app", "config": {"users": [foreign]}}, headers=tenant.admin.headers
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "config.users"
    group = await client.post("/api/groups", json={"name": "ops"}, headers=tenant.admin.headers)
    body = {"name": "c", "type": "in_app", "config": {"users": [tenant.admin.id], "groups": [group.json()["id"]]}}
    assert (await client.post(CHANNELS, json=body, headers=tenant.admin.headers)).status_code == 201


async def test_the_tenant_allow_list_narrows_destinations(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    await client.patch("/api/tenant", json={"egress_allow_list": ["hooks.example.com"]}, headers=tenant.admin.headers)
    body = {"name": "c", "type": "webhook", "config": {"url": "http://127.0.0.1:9/h"}}
    response = await client.post(CHANNELS, json=body, headers=tenant.admin.headers)
    assert response.status_code == 422
    assert "allow-list" in response.json()["detail"]


async def test_names_are_unique_per_tenant(client: httpx.AsyncClient, tenant: TenantContext, make_tenant: Any) -> None:
    body = {"name": "ops", "type": "webhook", "config": {"url": "http://127.0.0.1:9/h"}}
    await _create(client, tenant, body)
    clash = await client.post(CHANNELS, json=body, headers=tenant.admin.headers)
    assert clash.status_code == 409
    assert clash.json()["errors"][0]["field"] == "name"
    other: TenantContext = await make_tenant()
    await _create(client, other, body)


async def test_one_default_email_channel_per_tenant(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    first = await _create(client, tenant, {"name": "a", "type": "email", "config": EMAIL, "default": True})
    second = await _create(client, tenant, {"name": "b", "type": "email", "config": EMAIL, "default": True})
    assert second["default"] is True
    assert (await client.get(f"{CHANNELS}/{first['id']}", headers=tenant.admin.headers)).json()["default"] is False
    again = await client.put(
        f"{CHANNELS}/{first['id']}",
        json={"name": "a", "type": "email", "config": first["config"], "default": True},
        headers=tenant.admin.headers,
    )
    assert again.json()["default"] is True
    assert (await client.get(f"{CHANNELS}/{second['id']}", headers=tenant.admin.headers)).json()["default"] is False


async def test_only_channel_managers_see_channels_and_deliveries(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    failures = []
    roles = {"admin": True, "automation_engineer": True, "service_owner": False, "fulfiller": False, "requester": False}
    for role, allowed in roles.items():
        actor = await tenant.user(roles=[] if role == "requester" else [role])
        hook = {"url": "http://127.0.0.1:9/h"}
        channel = await _create(client, tenant, {"name": f"c-{role}", "type": "webhook", "config": hook})
        url = f"{CHANNELS}/{channel['id']}"
        body = {"name": f"n-{role}", "type": "webhook", "config": hook}
        calls = [
            ("GET", CHANNELS, None),
            ("POST", CHANNELS, body),
            ("GET", url, None),
            ("PUT", url, {**body, "name": f"c-{role}"}),
            ("POST", f"{url}/test", None),
            ("GET", "/api/notifications/deliveries", None),
            ("DELETE", url, None),
        ]
        for method, path, json_body in calls:
            response = await client.request(method, path, json=json_body, headers=actor.headers)
            if (response.status_code < 300) is not allowed or (not allowed and response.status_code != 403):
                failures.append(f"{role} {method} {path}: {response.status_code} {response.text[:120]}")
    assert failures == []


async def test_channels_are_invisible_to_other_tenants(
    client: httpx.AsyncClient, tenant: TenantContext, make_tenant: Any
) -> None:
    other: TenantContext = await make_tenant()
    channel = await _create(
        client, tenant, {"name": "ops", "type": "webhook", "config": {"url": "http://127.0.0.1:9/h"}}
    )
    assert (await client.get(CHANNELS, headers=other.admin.headers)).json()["items"] == []
    assert (await client.get(f"{CHANNELS}/{channel['id']}", headers=other.admin.headers)).status_code == 404
    async with other.database.transaction() as session:
        for ref in ("ops", channel["id"], uuid.UUID(channel["id"])):
            with pytest.raises(ValidationFailed) as refused:
                await notify(session, tenant_id=uuid.UUID(other.id), channel=ref, subject="s", body="b")
            assert refused.value.errors == [{"field": "channel", "message": refused.value.errors[0]["message"]}]
    deliveries = await client.get("/api/notifications/deliveries", headers=tenant.admin.headers)
    assert deliveries.json()["items"] == []
