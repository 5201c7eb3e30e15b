"""create_app(): the FastAPI application with its routers, middleware, error handlers and lifespan.

The lifespan opens the database (embedded when no URL is configured) and closes it on shutdown.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from tenantplane import __version__
from tenantplane.identity.ratelimit import RateLimiter
from tenantplane.jobs.registry import load_task_modules
from tenantplane.jobs.worker import ExecutionJobRunner, RunnerOptions
from tenantplane.kit.commands import command_settings
from tenantplane.kit.db import Database
from tenantplane.kit.embedded import resolve_database_url
from tenantplane.kit.errors import install_error_handlers
from tenantplane.kit.health import router as health_router
from tenantplane.kit.input_rules import InputRulesMiddleware
from tenantplane.kit.observability import RequestContextMiddleware
from tenantplane.kit.openapi import document_problems
from tenantplane.models import domain_modules
from tenantplane.notifications.links import use_public_url
from tenantplane.runbooks.isolation import SandboxConfig, sandbox_readiness
from tenantplane.settings import Settings

# Set by `serve --workers N` for its API processes when its one embedded worker runs in the parent process.
WORKER_IN_PARENT_ENV = "TENANTPLANE_SERVE_WORKER_IN_PARENT"


# Matched first: every page asks for /api/me, and every call signs in. FastAPI tries the routers in order, so the
# hottest go first; no two domains' routes match the same path (tests/api/test_routes.py), so order is speed only.
HOT_DOMAINS = ("tenantplane.identity.endpoints",)


def domain_routers() -> list[APIRouter]:
    """Every domain's `router`, found by convention in `tenantplane.<domain>.endpoints` (the hot ones first)."""
    names = domain_modules("endpoints")
    ordered = [n for n in HOT_DOMAINS if n in names] + [n for n in names if n not in HOT_DOMAINS]
    return [importlib.import_module(name).router for name in ordered]


def create_app(settings: Settings | None = None, *, worker: RunnerOptions | None = None) -> FastAPI:
    """The API; with `worker` options it also runs an embedded ExecutionJobRunner in the same process."""
    settings = settings or Settings()
    use_public_url(settings)  # notification templates render `{{ link }}` under it in this process

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owns_db = getattr(app.state, "db", None) is None
        if owns_db:
            app.state.db = Database(resolve_database_url(settings.database_url, settings.data_dir))
        load_task_modules()
        stop = asyncio.Event()
        runner = (
            asyncio.create_task(ExecutionJobRunner(app.state.db, worker, settings=settings).run(stop))
            if worker
            else None
        )
        # What exists once the app has started (modules, routes, schemas, the engine: some 200,000 objects) lives as
        # long as the process. Frozen, the cyclic GC stops walking it on every full collection, which otherwise ran
        # every few hundred requests (the objects of requests in flight survive into the oldest generation) and cost
        # a tenth of each authenticated read. Unfrozen on shutdown, so a process that builds many apps (the tests)
        # still collects the old ones.
        gc.freeze()
        # Young collections 30 times rarer than CPython's default (700 allocations): a request allocates thousands of
        # objects, nearly all freed by reference counting, so the default collected several times per request for
        # nothing (bench.itsm, 32 connections: 221 → 255 submits/s). Cycles are still collected, a little later.
        thresholds = gc.get_threshold()
        gc.set_threshold(20_000, 20, 20)
        try:
            yield
        finally:
            gc.set_threshold(*thresholds)
            gc.unfreeze()
            stop.set()
            if runner:
                await runner
            if owns_db:
                await app.state.db.dispose()

    app = FastAPI(
        title="Tenant Plane",
        version=__version__,
        description="Multi-tenant ITSM approval workflows and automation workflows.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.rate_limiter = RateLimiter(settings.api_rate_per_second, settings.api_rate_burst)
    # With an embedded worker, /readyz also says whether runbook scripts can run here (and why not).
    app.state.readiness_details = [sandbox_readiness(SandboxConfig.from_settings(settings))] if worker else []
    install_error_handlers(app)
    document_problems(app)
    app.include_router(health_router)
    for router in domain_routers():
        app.include_router(router)
    # The last added runs first: request ids and metrics see every answer, the input rules' refusals included.
    app.add_middleware(InputRulesMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    return app


def api_process() -> FastAPI:
    """One API process of `serve --workers N` (uvicorn's app factory): settings from the environment its parent set.

    The process runs no worker of its own (the parent runs the only one), so `/readyz` reports the sandbox the
    parent's worker uses, as a single `serve` process does.
    """
    settings = command_settings()
    app = create_app(settings)
    if os.environ.get(WORKER_IN_PARENT_ENV) == "1":
        app.state.readiness_details = [sandbox_readiness(SandboxConfig.from_settings(settings))]
    return app
