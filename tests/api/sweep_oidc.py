"""Sweep registry entries for single sign-on (see tests/api/sweeps.py)."""

from __future__ import annotations

import httpx

from tests.api.conftest import TenantContext
from tests.api.sweeps import Ids

PUBLIC = {
    ("get", "/api/auth/providers"): "the sign-in page asks what a tenant offers before anyone is signed in",
    ("get", "/api/auth/oidc/{tenant_slug}/login"): "single sign-on starts before anyone is signed in",
    ("get", "/api/auth/oidc/{tenant_slug}/callback"): "the IdP sends the browser back here; the sealed state cookie "
    "and the ID token are the credentials",
}
CROSS_TENANT_PREFIXES = {
    "/api/auth/oidc/": "public sign-in routes named by tenant slug; they read no tenant's data and answer redirects",
}


async def _tenant_slug(t: TenantContext, c: httpx.AsyncClient) -> str:
    return t.slug


# The fuzz test fills path parameters from here (the cross-tenant sweep skips the public /api/auth/oidc/ routes).
FACTORIES = {"tenant_slug": _tenant_slug}

PROVIDER = {
    "display_name": "Sweep IdP",
    "issuer": "https://idp.example.com",
    "client_id": "sweep",
    "client_secret": "sweep-secret",
}


async def _nothing(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {}


async def _provider(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    r = await c.put("/api/identity-provider", json=PROVIDER, headers=t.admin.headers)
    assert r.status_code == 200, r.text
    return {}


AUDIT_SCENARIOS = {
    ("put", "/api/identity-provider"): (
        _nothing,
        lambda c, t, i: c.put("/api/identity-provider", json=PROVIDER, headers=t.admin.headers),
    ),
    ("delete", "/api/identity-provider"): (
        _provider,
        lambda c, t, i: c.delete("/api/identity-provider", headers=t.admin.headers),
    ),
}
NOT_MUTATIONS = {
    ("post", "/api/identity-provider/test"): "fetches the IdP's discovery document and keys; stores nothing",
}
