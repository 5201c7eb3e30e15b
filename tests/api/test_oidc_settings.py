"""The identity provider settings: admin only, one per tenant, the client secret write-only and stored encrypted,
bad input refused by field, and "test connection" reporting the discovery document and keys, or the problem."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import oidc_provider_mock
import pytest
import werkzeug.serving
from fastapi import FastAPI
from sqlalchemy import select

from tenantplane.identity.oidc.models import OidcProvider
from tests.api.conftest import TenantContext

SECRET = "the-client-secret-xyz"


@pytest.fixture(scope="module")
def idp() -> Iterator[str]:
    server = werkzeug.serving.make_server("127.0.0.1", 0, oidc_provider_mock.app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _body(issuer: str, **extra: object) -> dict[str, object]:
    return {"display_name": "Corp SSO", "issuer": issuer, "client_id": "plane", "client_secret": SECRET, **extra}


async def test_the_secret_is_write_only_and_stored_encrypted(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext, idp: str
) -> None:
    assert (await client.get("/api/identity-provider", headers=tenant.admin.headers)).status_code == 404
    put = await client.put("/api/identity-provider", json=_body(idp, scopes=["email"]), headers=tenant.admin.headers)
    assert put.status_code == 200, put.text
    read = (await client.get("/api/identity-provider", headers=tenant.admin.headers)).json()
    assert read["has_client_secret"] is True
    assert read["scopes"] == ["openid", "email"]
    assert read["redirect_uri"] == f"http://testserver/api/auth/oidc/{tenant.slug}/callback"
    assert SECRET not in put.text + str(read)
    async with app.state.db.transaction() as session:
        stored = await session.scalar(select(OidcProvider.client_secret_ciphertext))
    assert stored
    assert SECRET not in stored
    events = await client.get(
        "/api/audit", params={"action": "identity_provider.created"}, headers=tenant.admin.headers
    )
    assert SECRET not in events.text
    assert len(events.json()["items"]) == 1
    # Saving without a secret keeps the stored one.
    body = _body(idp, display_name="Renamed")
    del body["client_secret"]
    again = await client.put("/api/identity-provider", json=body, headers=tenant.admin.headers)
    assert again.json()["has_client_secret"] is True
    assert again.json()["display_name"] == "Renamed"
    assert (await client.delete("/api/identity-provider", headers=tenant.admin.headers)).status_code == 204
    assert (await client.get("/api/identity-provider", headers=tenant.admin.headers)).status_code == 404


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"issuer": "ftp://idp.example.com"}, "issuer"),
        ({"issuer": "https://idp.example.com/?x=1"}, "issuer"),
        ({"groups_claim": "has space"}, "groups_claim"),
        ({"allowed_domains": ["not a domain"]}, "allowed_domains"),
        ({"unknown": 1}, "unknown"),
    ],
)
async def test_bad_settings_are_refused_by_field(
    client: httpx.AsyncClient, tenant: TenantContext, extra: dict[str, object], field: str
) -> None:
    response = await client.put(
        "/api/identity-provider", json={**_body("https://idp.example.com"), **extra}, headers=tenant.admin.headers
    )
    assert response.status_code == 422, response.text
    assert any(field in e["field"] for e in response.json()["errors"])
    assert (await client.get("/api/identity-provider", headers=tenant.admin.headers)).status_code == 404


async def test_only_admins_see_or_change_it_and_only_in_their_tenant(
    client: httpx.AsyncClient, make_tenant: object, idp: str
) -> None:
    owner: TenantContext = await make_tenant()  # type: ignore[operator]
    other: TenantContext = await make_tenant()  # type: ignore[operator]
    await client.put("/api/identity-provider", json=_body(idp), headers=owner.admin.headers)
    staff = await owner.user(roles=["service_owner", "automation_engineer", "fulfiller"])
    for method in ("GET", "PUT", "DELETE"):
        body = _body(idp) if method == "PUT" else None
        response = await client.request(method, "/api/identity-provider", json=body, headers=staff.headers)
        assert response.status_code == 403, (method, response.text)
    assert (await client.post("/api/identity-provider/test", headers=staff.headers)).status_code == 403
    assert (await client.get("/api/identity-provider", headers=other.admin.headers)).status_code == 404
    options = await client.get("/api/auth/providers", params={"tenant": other.slug})
    assert options.json()["sso"] is None
    assert (await client.get("/api/identity-provider", headers=owner.admin.headers)).status_code == 200


async def test_test_connection_reports_the_discovery_and_keys_or_the_problem(
    client: httpx.AsyncClient, tenant: TenantContext, idp: str
) -> None:
    await client.put("/api/identity-provider", json=_body(idp), headers=tenant.admin.headers)
    found = (await client.post("/api/identity-provider/test", headers=tenant.admin.headers)).json()
    assert found["ok"] is True, found
    assert found["issuer"] == idp
    assert found["jwks_uri"].startswith(idp)
    assert len(found["key_ids"]) == 1
    # The tenant narrows its egress allow-list: the IdP host is no longer reachable, and the test says why.
    patched = await client.patch(
        "/api/tenant", json={"egress_allow_list": ["hooks.example.com"]}, headers=tenant.admin.headers
    )
    assert patched.status_code == 200, patched.text
    refused = (await client.post("/api/identity-provider/test", headers=tenant.admin.headers)).json()
    assert refused["ok"] is False
    assert "allow-list" in refused["problem"]
    await client.patch("/api/tenant", json={"egress_allow_list": []}, headers=tenant.admin.headers)
    await client.put("/api/identity-provider", json=_body(idp + "/nowhere"), headers=tenant.admin.headers)
    missing = (await client.post("/api/identity-provider/test", headers=tenant.admin.headers)).json()
    assert missing["ok"] is False
    assert "404" in missing["problem"]
