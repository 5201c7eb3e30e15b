"""What the request pipeline does not do per request: GET /api/me opens no unit of work, the objects of a started app
are frozen out of the cyclic GC's walks (and thawed when it stops), the metrics' labelled children are kept, and
lookups queue for a slot of their own rather than in the pool."""

from __future__ import annotations

import asyncio
import gc
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
from fastapi.routing import APIRoute
from prometheus_client import REGISTRY

from tenantplane.app import create_app
from tenantplane.identity.auth_endpoints import router as auth_router
from tenantplane.kit.db import LOOKUP_APPLICATION, Database, request_session
from tenantplane.settings import Settings
from tests.api.conftest import TenantContext


def _calls(dependant: Any) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def test_reading_me_asks_for_no_request_session() -> None:
    # Authentication runs its one lookup on the lookup pool and the profile comes from that row: no session is needed.
    routes = [r for r in auth_router.routes if isinstance(r, APIRoute)]
    route = next(r for r in routes if r.path == "/api/me" and "GET" in r.methods)
    assert request_session not in list(_calls(route.dependant))


async def test_a_started_app_freezes_what_exists_and_thaws_it_when_it_stops(settings: Settings) -> None:
    application = create_app(settings)
    before = gc.get_threshold()
    async with application.router.lifespan_context(application):
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] > before[0], "young collections are made rarer while it serves"
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


async def test_every_request_is_counted_though_the_labelled_metrics_are_kept(client: httpx.AsyncClient) -> None:
    labels = {"method": "GET", "route": "/healthz", "status": "200"}
    before = REGISTRY.get_sample_value("tenantplane_http_requests_total", labels) or 0.0
    for _ in range(3):
        assert (await client.get("/healthz")).status_code == 200
    assert REGISTRY.get_sample_value("tenantplane_http_requests_total", labels) == before + 3
    seen = REGISTRY.get_sample_value(
        "tenantplane_http_request_duration_seconds_count", {"method": "GET", "route": "/healthz"}
    )
    assert seen is not None
    assert seen >= 3


async def test_an_api_tokens_use_is_recorded_even_when_the_request_then_fails(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    # The throttled last_used_at write commits on its own, before the handler runs: a 404 does not roll it back.
    created = await client.post("/api/auth/api-tokens", json={"name": "ci"}, headers=tenant.admin.headers)
    api_token = {"Authorization": f"Bearer {created.json()['token']}"}
    missing = await client.get(f"/api/users/{uuid.uuid4()}", headers=api_token)
    assert missing.status_code == 404
    tokens = (await client.get("/api/auth/api-tokens", headers=tenant.admin.headers)).json()["items"]
    assert [t["last_used_at"] is not None for t in tokens if t["id"] == created.json()["id"]] == [True]


async def test_lookups_beyond_the_pool_wait_their_turn_and_all_answer(clean_database: str) -> None:
    # More lookups at once than the lookup pool has connections: they queue for a slot, none fails, and the server
    # never sees more lookup connections than the pool's size.
    database = Database(clean_database, lookup_pool_size=2)
    query = (
        "SELECT pg_sleep(0.02), (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name = %(name)s) AS seen, "
        "%(n)s::int AS n"
    )
    try:
        rows = await asyncio.gather(*(database.lookup(query, {"name": LOOKUP_APPLICATION, "n": n}) for n in range(12)))
    finally:
        await database.dispose()
    assert [row.n for row in rows] == list(range(12))
    assert max(row.seen for row in rows) <= 2
