"""Route-sweep entries of SCIM: the admin's /api/scim-tokens routes.

The /scim/v2 routes are not in our OpenAPI document (SCIM describes itself at /scim/v2/Schemas and
/scim/v2/ResourceTypes, and answers SCIM error bodies, not problem documents), so the OpenAPI sweeps cannot see
them; `tests/api/test_scim_routes.py` sweeps them from the app's routes instead, with a SCIM token in place of our
credentials: every one answers 401 without a SCIM token (or with our own bearer token), and 404 to another
tenant's SCIM token.
"""

from __future__ import annotations

import httpx

from tests.api.conftest import TenantContext
from tests.api.sweeps import Call, Factory, Ids, Setup


async def _scim_token_id(t: TenantContext, c: httpx.AsyncClient) -> str:
    r = await c.post("/api/scim-tokens", json={"name": "sweep"}, headers=t.admin.headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _nothing(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {}


async def _token(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {"token": await _scim_token_id(t, c)}


FACTORIES: dict[str, Factory] = {"scim_token_id": _scim_token_id}

AUDIT_SCENARIOS: dict[tuple[str, str], tuple[Setup, Call]] = {
    ("post", "/api/scim-tokens"): (
        _nothing,
        lambda c, t, i: c.post("/api/scim-tokens", json={"name": "okta"}, headers=t.admin.headers),
    ),
    ("delete", "/api/scim-tokens/{scim_token_id}"): (
        _token,
        lambda c, t, i: c.delete(f"/api/scim-tokens/{i['token']}", headers=t.admin.headers),
    ),
}
