"""Shared benchmark plumbing: a scratch database on the target server, timing and percentile helpers."""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from tenantplane.kit.migrate import upgrade_to_head

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextmanager
def scratch_database(server: str, *, migrate: bool = True) -> Iterator[str]:
    """A fresh database on `server`, migrated to head, dropped afterwards."""
    name = f"tp_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        if migrate:
            upgrade_to_head(url)
        yield url
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": statistics.median(ordered), "p95": q[94], "p99": q[98], "max": ordered[-1]}


def row(label: str, value: float, unit: str, *ratios: tuple[str, float]) -> str:
    extra = "  ".join(f"{name} {value / base:5.2f}x" for name, base in ratios if base)
    return f"{label:<44} {value:>10.1f} {unit:<8} {extra}"
