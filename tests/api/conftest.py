"""HTTP tests through the real app on real PostgreSQL: app, client and tenant/user factories.

Factories go through the public API wherever one exists, so tests exercise what clients use.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tenantplane.app import create_app
from tenantplane.identity.service import bootstrap
from tenantplane.jobs.registry import load_task_modules
from tenantplane.jobs.worker import ExecutionJobRunner, RunnerOptions
from tenantplane.kit.db import Database
from tenantplane.settings import Settings
from tests.conftest import RUNBOOK_EXPOSED_PATHS

PASSWORD = "correct horse battery"


@pytest.fixture
def settings(clean_database: str, tmp_path: Path) -> Settings:
    return Settings(
        allowed_egress_hosts="127.0.0.1",
        runbook_exposed_paths=RUNBOOK_EXPOSED_PATHS,
        database_url=clean_database,
        data_dir=tmp_path,
        secret_key="test-secret-key-" + "x" * 32,
        log_format="console",
        log_level="WARNING",
        api_rate_per_second=0,  # tests call as fast as they can; tests/api/test_rate_limit.py turns it on
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def worker(app: FastAPI) -> AsyncIterator[ExecutionJobRunner]:
    """An in-process job worker on the app's database (fast lease/poll timings), stopped after the test."""
    load_task_modules()
    options = RunnerOptions(
        queues=["default"], concurrency=8, lease_seconds=5.0, heartbeat_seconds=0.5, poll_seconds=0.5, grace_seconds=5.0
    )
    runner = ExecutionJobRunner(app.state.db, options, settings=app.state.settings)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    yield runner
    stop.set()
    await asyncio.wait_for(task, timeout=30)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@dataclass
class Actor:
    """A signed-in user of one tenant, with ready-made auth headers."""

    id: str
    email: str
    token: str
    tenant: TenantContext

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class TenantContext:
    slug: str
    id: str
    client: httpx.AsyncClient
    database: Database
    admin: Actor = field(init=False)

    async def login(self, email: str, password: str = PASSWORD) -> str:
        response = await self.client.post(
            "/api/auth/token", json={"tenant": self.slug, "email": email, "password": password}
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    async def user(self, roles: list[str] | None = None, **extra: object) -> Actor:
        email = f"u{uuid.uuid4().hex[:10]}@example.com"
        body = {"email": email, "display_name": email.split("@")[0], "password": PASSWORD, "roles": roles or []}
        response = await self.client.post("/api/users", json={**body, **extra}, headers=self.admin.headers)
        assert response.status_code == 201, response.text
        return Actor(id=response.json()["id"], email=email, token=await self.login(email), tenant=self)

    async def member(self, roles: list[str] | None = None) -> str:
        """A user who never signs in (no password, so no hashing cost): an id to point at."""
        email = f"m{uuid.uuid4().hex[:10]}@example.com"
        body = {"email": email, "display_name": email.split("@")[0], "roles": roles or []}
        response = await self.client.post("/api/users", json=body, headers=self.admin.headers)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])


TenantFactory = Callable[..., Awaitable[TenantContext]]


@pytest.fixture
def make_tenant(app: FastAPI, client: httpx.AsyncClient) -> TenantFactory:
    async def make(slug: str | None = None) -> TenantContext:
        slug = slug or f"t-{uuid.uuid4().hex[:8]}"
        email = f"admin@{slug}.example.com"
        database: Database = app.state.db
        async with database.transaction() as session:
            tenant, admin, _ = await bootstrap(session, slug=slug, admin_email=email, admin_password=PASSWORD)
        ctx = TenantContext(slug=slug, id=str(tenant.id), client=client, database=database)
        ctx.admin = Actor(id=str(admin.id), email=email, token="", tenant=ctx)
        ctx.admin.token = await ctx.login(email)
        return ctx

    return make


@pytest.fixture
async def tenant(make_tenant: TenantFactory) -> TenantContext:
    return await make_tenant()
