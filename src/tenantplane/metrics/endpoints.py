"""GET /metrics (outside /api, no tenant): this process's own metrics plus the state figures read from the database.

The figures are cached for `metrics_cache_seconds` per process and read by one scrape at a time, so a scrape storm
costs one set of statements. With `TENANTPLANE_METRICS_TOKEN` set, a scrape needs `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterable

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy.exc import DBAPIError

from tenantplane.kit.db import Database
from tenantplane.kit.errors import problem_response
from tenantplane.metrics.families import metric_families
from tenantplane.metrics.figures import Figures, read_figures
from tenantplane.settings import Settings

router = APIRouter(tags=["health"])
log = structlog.get_logger("tenantplane.metrics")


class FiguresCache:
    """The last figures read and when; one read at a time (the others wait for it and share its answer)."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._read_at = float("-inf")
        self._figures: Figures | None = None
        self.query_seconds = 0.0
        self._reading = asyncio.Lock()

    def _fresh(self) -> Figures | None:
        return self._figures if time.monotonic() - self._read_at < self.ttl_seconds else None

    async def figures(self, database: Database, *, window_seconds: float) -> Figures:
        if (figures := self._fresh()) is not None:
            return figures
        async with self._reading:
            if (figures := self._fresh()) is not None:
                return figures
            started = time.monotonic()
            async with database.engine.connect() as conn:
                figures = await read_figures(conn, window_seconds=window_seconds)
            self._figures, self._read_at = figures, time.monotonic()
            self.query_seconds = self._read_at - started
            return figures


class _Families:
    """What generate_latest reads: anything with a collect()."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self._families


def state_health_families(*, up: bool = True, query_seconds: float = 0.0) -> list[Metric]:
    """Whether the figures could be read, and what the last read cost."""
    readable = GaugeMetricFamily("tenantplane_metrics_database_up", "1 when the state figures could be read, else 0")
    readable.add_metric([], 1 if up else 0)
    took = GaugeMetricFamily("tenantplane_metrics_query_seconds", "How long the last read of the state figures took")
    took.add_metric([], query_seconds)
    return [readable, took]


def _cache(request: Request, settings: Settings) -> FiguresCache:
    cache: FiguresCache | None = getattr(request.app.state, "metrics_cache", None)
    if cache is None:
        cache = request.app.state.metrics_cache = FiguresCache(settings.metrics_cache_seconds)
    return cache


def _authorized(request: Request, token: str | None) -> bool:
    if not token:
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(given.strip().encode(), token.encode())


@router.get("/metrics", response_class=PlainTextResponse, responses={200: {"description": "Prometheus text format"}})
async def metrics(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not _authorized(request, settings.metrics_token):
        return problem_response(
            request,
            status=401,
            problem_type="unauthorized",
            title="Authentication required",
            detail="This server's metrics need `Authorization: Bearer <TENANTPLANE_METRICS_TOKEN>`.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    cache = _cache(request, settings)
    families: list[Metric] = []
    try:
        figures = await cache.figures(request.app.state.db, window_seconds=settings.metrics_window_seconds)
    except (DBAPIError, OSError, TimeoutError) as exc:  # the database is down or slow: the rest still answers
        log.warning("metrics: the state figures could not be read", error=f"{type(exc).__name__}: {exc}")
        up = False
    else:
        up = True
        families = metric_families(
            figures,
            top_tenants=settings.metrics_top_tenants,
            window_seconds=settings.metrics_window_seconds,
            lease_seconds=settings.job_lease_seconds,
        )
    families += state_health_families(up=up, query_seconds=cache.query_seconds)
    return Response(generate_latest(REGISTRY) + generate_latest(_Families(families)), media_type=CONTENT_TYPE_LATEST)
