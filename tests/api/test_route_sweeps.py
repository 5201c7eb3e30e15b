"""Sweeps over every /api route in the OpenAPI document: 401 without credentials, 404 across tenants.

New routes are picked up automatically; a route whose id parameter has no factory here fails the sweep.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from tests.api.conftest import TenantContext
from tests.api.sweeps import collect

PUBLIC = collect("PUBLIC")
CROSS_TENANT_PREFIXES = tuple(collect("CROSS_TENANT_PREFIXES"))
FACTORIES = collect("FACTORIES")
BODIES = collect("BODIES")
PARAM = re.compile(r"{([^}]+)}")


async def _api_operations(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    spec = (await client.get("/openapi.json")).json()
    return [
        (method, path)
        for path, item in spec["paths"].items()
        if path.startswith("/api/")
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]


async def test_every_api_route_needs_credentials(client: httpx.AsyncClient) -> None:
    operations = await _api_operations(client)
    assert len(operations) > 10
    failures = []
    for method, path in operations:
        if (method, path) in PUBLIC:
            continue
        url = PARAM.sub(lambda _: str(uuid.uuid4()), path)
        response = await client.request(method, url, json={} if method in {"post", "put", "patch"} else None)
        if response.status_code != 401:
            failures.append(f"{method.upper()} {path} -> {response.status_code}")
    assert failures == [], "routes answering without credentials"


async def test_another_tenants_objects_answer_404(client: httpx.AsyncClient, make_tenant: Any) -> None:
    owner: TenantContext = await make_tenant()
    intruder: TenantContext = await make_tenant()
    operations = [
        (m, p) for m, p in await _api_operations(client) if PARAM.search(p) and not p.startswith(CROSS_TENANT_PREFIXES)
    ]
    assert operations, "no routes with ids found"
    failures = []
    for method, path in operations:
        names = PARAM.findall(path)
        missing = [n for n in names if n not in FACTORIES]
        if missing:
            failures.append(f"{method.upper()} {path}: no factory for {missing}")
            continue
        ids = {name: await FACTORIES[name](owner, client) for name in names}
        if "user_id" not in names:
            ids.setdefault("user_id", await FACTORIES["user_id"](owner, client))
        url = PARAM.sub(lambda m, ids=ids: ids[m.group(1)], path)
        body = BODIES.get((method, path), lambda _: {})(ids) if method in {"post", "put", "patch"} else None
        response = await client.request(method, url, json=body, headers=intruder.admin.headers)
        if response.status_code != 404:
            failures.append(f"{method.upper()} {path} -> {response.status_code}")
    assert failures == [], "cross-tenant access not answered with 404"


async def test_platform_routes_refuse_tenant_users(client: httpx.AsyncClient, tenant: TenantContext) -> None:
    listed = await client.get("/api/platform/tenants", headers=tenant.admin.headers)
    created = await client.post("/api/platform/tenants", json={"slug": "x", "name": "x"}, headers=tenant.admin.headers)
    assert listed.status_code == created.status_code == 403
