"""Helpers of the SCIM tests: a SCIM token for a tenant, and scim2-client's ASGI client on our app."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from scim2_client.engines.asgi import ASGISCIMClient

from tests.api.conftest import TenantContext

SCIM_JSON = {"Content-Type": "application/scim+json"}


async def scim_token(tenant: TenantContext, name: str = "okta") -> str:
    response = await tenant.client.post("/api/scim-tokens", json={"name": name}, headers=tenant.admin.headers)
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    assert token.startswith("tpscim_")
    return token


async def scim_client(app: FastAPI, token: str) -> Any:
    client = ASGISCIMClient(app, base_url="http://testserver/scim/v2", headers={"Authorization": f"Bearer {token}"})
    await client.discover()
    return client
