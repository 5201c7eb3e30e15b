"""SQL statements per authenticated read: the principal lookup is one statement whatever the credential, and the
list pages (inbox, executions, requests) cost the same number of statements for one row as for several (no N+1).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event, text

from tenantplane.kit.db import LOOKUP_APPLICATION
from tests.api.conftest import PASSWORD, Actor, TenantContext
from tests.api.sweep_approvals import create_definition, step
from tests.api.sweep_itsm import create_item, submit_request
from tests.api.sweep_runbooks import create_runbook


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements the app runs inside the block, the principal lookups (`Database.lookup`, a pool of their
    own) included; BEGIN/COMMIT are not statements here."""
    seen: list[str] = []
    database = app.state.db

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    real_lookup = database.lookup

    async def lookup(sql: str, params: Any) -> Any:
        seen.append(sql)
        return await real_lookup(sql, params)

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    database.lookup = lookup
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
        del database.lookup


async def _get(app: FastAPI, client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> list[str]:
    with statements(app) as seen:
        response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return seen


async def test_reading_me_is_one_statement_with_a_bearer_token_an_api_token_or_a_cookie(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    assert len(await _get(app, client, "/api/me", tenant.admin.headers)) == 1

    created = await client.post("/api/auth/api-tokens", json={"name": "ci"}, headers=tenant.admin.headers)
    api_token = {"Authorization": f"Bearer {created.json()['token']}"}
    first = await _get(app, client, "/api/me", api_token)
    assert [s.split()[0] for s in first] == ["SELECT", "UPDATE"]  # the first use records last_used_at
    assert len(await _get(app, client, "/api/me", api_token)) == 1  # within the minute: no write per read

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        signed_in = await browser.post(
            "/api/auth/session", json={"tenant": tenant.slug, "email": tenant.admin.email, "password": PASSWORD}
        )
        assert signed_in.status_code == 200
        assert len(await _get(app, browser, "/api/me", {})) == 1


async def test_the_profile_read_in_the_lookup_is_the_users_current_one(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    user = await tenant.user(roles=["fulfiller"])
    renamed = await client.patch(
        f"/api/users/{user.id}", json={"display_name": "Renamed", "roles": []}, headers=tenant.admin.headers
    )
    assert renamed.status_code == 200
    me = (await client.get("/api/me", headers=user.headers)).json()
    assert (me["display_name"], me["roles"], me["permissions"], me["tenant_slug"]) == ("Renamed", [], [], tenant.slug)


async def test_a_lookup_connection_the_server_dropped_is_replaced_without_an_error(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    assert (await client.get("/api/me", headers=tenant.admin.headers)).status_code == 200
    async with app.state.db.transaction() as session:
        dropped = await session.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = :name"
            ),
            {"name": LOOKUP_APPLICATION},
        )
    assert dropped >= 1
    assert (await client.get("/api/me", headers=tenant.admin.headers)).status_code == 200


async def _inbox_rows(tenant: TenantContext, requester: Actor, item_id: str, count: int) -> None:
    for _ in range(count):
        await submit_request(requester, item_id, {"model": "13-inch", "cost": 1})


async def test_list_pages_cost_the_same_statements_for_one_row_as_for_several(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    requester = await tenant.user()
    definition = await create_definition(tenant, step("admin", 1, "user", tenant.admin.id))
    item = await create_item(tenant, workflow_definition_id=definition["id"])
    runbooks = [await create_runbook(tenant, client) for _ in range(3)]
    paths = ["/api/approvals/inbox", "/api/executions", "/api/itsm/requests?scope=all", "/api/itsm/requests"]

    async def counts() -> list[int]:
        return [len(await _get(app, client, path, tenant.admin.headers)) for path in paths]

    await _inbox_rows(tenant, requester, item["id"], 1)
    await submit_request(tenant.admin, item["id"], {"model": "13-inch", "cost": 1})
    run = await client.post(f"/api/runbooks/{runbooks[0]['id']}/execute", json={}, headers=tenant.admin.headers)
    assert run.status_code in (201, 202), run.text
    one = await counts()

    await _inbox_rows(tenant, requester, item["id"], 4)
    await submit_request(tenant.admin, item["id"], {"model": "13-inch", "cost": 1})
    for runbook in runbooks:
        await client.post(f"/api/runbooks/{runbook['id']}/execute", json={}, headers=tenant.admin.headers)
    several = await counts()

    inbox = (await client.get(paths[0], headers=tenant.admin.headers)).json()["items"]
    assert len(inbox) >= 5
    assert several == one
    # inbox: principal (with whom the caller stands in for), gates, instances, the requests' fulfillments; executions:
    # principal, page, runbook names; requests: principal, page
    assert one == [4, 3, 2, 2]
