"""The `tenantplane` command line: serve, worker, migrate, bootstrap, accounts and tokens, backup and restore.

With no TENANTPLANE_DATABASE_URL every command uses (and migrates) the embedded PostgreSQL of the data dir.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import structlog
import typer
import uvicorn

from tenantplane import __version__
from tenantplane.gitops.cli import register as register_gitops
from tenantplane.jobs.cli import register as register_purge
from tenantplane.jobs.registry import load_task_modules
from tenantplane.jobs.worker import RunnerOptions, run_worker
from tenantplane.kit.commands import command_settings
from tenantplane.kit.db import Database
from tenantplane.kit.embedded import ready_url, resolve_database_url
from tenantplane.kit.migrate import upgrade_to_head
from tenantplane.kit.processes import serve_in_processes
from tenantplane.notifications.links import use_public_url
from tenantplane.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from tenantplane.identity.models import User

T = TypeVar("T")


class GracefulServer(uvicorn.Server):
    """Uvicorn re-raises SIGTERM after shutting down, which skips atexit (the embedded PostgreSQL's stop).

    Here SIGINT/SIGTERM just ask the server to finish; the process then exits normally with status 0.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


app = typer.Typer(help="Tenant Plane: ITSM approval workflows and automation workflows.", no_args_is_help=True)
register_gitops(app)
register_purge(app)


def _settings() -> Settings:
    return command_settings()


def _database_url(settings: Settings) -> str:
    """The configured server, or the embedded one (started, and migrated to head, on demand)."""
    return ready_url(settings.database_url, settings.data_dir)


def _in_one_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one admin command's work in a single transaction on a one-connection pool, then close it."""

    async def run() -> T:
        database = Database(_database_url(settings), pool_size=1)
        try:
            async with database.transaction() as session:
                return await work(session)
        finally:
            await database.dispose()

    return asyncio.run(run())


async def _tenant_user(session: AsyncSession, tenant: str, email: str) -> User | None:
    """The user with this e-mail in the tenant with this slug, or None when either is missing."""
    from tenantplane.identity import repository as repo

    found = await repo.find_tenant(session, tenant)
    return await repo.find_user_by_email(session, found.id, email) if found else None


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@app.command()
def migrate() -> None:
    """Upgrade the database schema to the latest migration."""
    settings = _settings()
    upgrade_to_head(resolve_database_url(settings.database_url, settings.data_dir))
    typer.echo("database schema is at head")


def _runner_options(settings: Settings, queues: str, concurrency: int | None) -> RunnerOptions:
    names = [q.strip() for q in queues.split(",") if q.strip()]
    if not names:
        raise typer.BadParameter("name at least one queue", param_hint="--queues")
    return RunnerOptions(
        queues=names,
        concurrency=concurrency or settings.worker_concurrency,
        reserved_slots=settings.worker_reserved_slots,
        lease_seconds=settings.job_lease_seconds,
        heartbeat_seconds=max(0.2, settings.job_lease_seconds / 4),
        grace_seconds=settings.worker_grace_seconds,
    )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="Do not run the embedded job worker")] = False,
    queues: Annotated[str, typer.Option(help="Queues the embedded worker takes jobs from")] = "default",
    workers: Annotated[
        int, typer.Option(min=1, help="API processes (uvicorn's multi-process mode); the embedded worker runs once")
    ] = 1,
    import_modules: Annotated[
        list[str] | None, typer.Option("--import", help="Extra module registering job handlers (repeatable)")
    ] = None,
) -> None:
    """Run the API server with an embedded job worker (and, with no database URL, the embedded PostgreSQL)."""
    settings = _settings()
    settings.database_url = _database_url(settings)
    # The address served is the default of the public URL notification links start with (and the embedded worker's).
    settings.host, settings.port = host or settings.host, port or settings.port
    worker_options = None if no_worker else _runner_options(settings, queues, None)
    structlog.get_logger("tenantplane").info("notification links", public_url=settings.resolved_public_url)
    if workers > 1:
        app_factory = "tenantplane.app:api_process"  # each API process builds its app from the environment
        # A child answers the supervisor's health check from a thread of its own; on a loaded host that thread may
        # wait for the GIL while the child imports the app, so it gets 30 s rather than 5 before it is restarted.
        config = _uvicorn_config(settings, app_factory, factory=True, workers=workers, timeout_worker_healthcheck=30)
        _serve_processes(settings, config, worker_options, import_modules or [])
        return
    from tenantplane.app import create_app

    load_task_modules(import_modules or [])
    # The embedded worker runs runbook scripts as throwaway uids (subprocess user/group/extra_groups), which
    # uvloop's subprocess support lacks; the plain asyncio loop has it. An API-only server may use uvloop.
    loop = "auto" if no_worker else "asyncio"
    config = _uvicorn_config(settings, create_app(settings, worker=worker_options), loop=loop)
    GracefulServer(config).run()


def _uvicorn_config(settings: Settings, app: Any, **more: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        # The client address (the sign-in throttle's key) is the TCP peer unless the proxies are named: uvicorn
        # would otherwise believe X-Forwarded-For from 127.0.0.1, i.e. from anyone on this host.
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
        **more,
    )


def _serve_processes(
    settings: Settings, config: uvicorn.Config, worker_options: RunnerOptions | None, modules: list[str]
) -> None:
    """`serve --workers N`: N API processes under uvicorn's supervisor, and the one embedded worker in this process.

    The API processes find the database (the embedded server this process started, if any) and the address served
    in the environment; the secret key is read (or created) here first, so N processes never race to create it.
    """
    from tenantplane.app import WORKER_IN_PARENT_ENV

    url = settings.database_url or _database_url(settings)
    os.environ |= {
        "TENANTPLANE_DATABASE_URL": url,
        "TENANTPLANE_HOST": settings.host,
        "TENANTPLANE_PORT": str(settings.port),
        WORKER_IN_PARENT_ENV: "0" if worker_options is None else "1",
    }
    assert settings.resolved_secret_key
    use_public_url(settings)

    async def work(stop: asyncio.Event) -> None:
        if worker_options is None:
            await stop.wait()
        else:
            await run_worker(url, worker_options, settings, stop, modules)

    serve_in_processes(config, work)


@app.command()
def worker(
    queues: Annotated[str, typer.Option(help="Comma-separated queues to take jobs from")] = "default",
    concurrency: Annotated[int | None, typer.Option(min=1, help="Handlers running at once")] = None,
    import_modules: Annotated[
        list[str] | None, typer.Option("--import", help="Extra module registering job handlers (repeatable)")
    ] = None,
) -> None:
    """Run a job worker: claims due jobs from its queues until SIGTERM/SIGINT, then drains gracefully."""
    settings = _settings()
    url = _database_url(settings)
    options = _runner_options(settings, queues, concurrency)
    use_public_url(settings)
    if settings.public_url is None:  # a worker serves nothing, so it cannot know where the UI is: it guesses
        structlog.get_logger("tenantplane").warning(
            "TENANTPLANE_PUBLIC_URL is not set: links in notifications this worker sends point at the default",
            public_url=settings.resolved_public_url,
        )

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(url, options, settings, stop, import_modules or [])

    asyncio.run(run())


@app.command()
def bootstrap(
    tenant: Annotated[str, typer.Option(help="Tenant slug, e.g. demo")],
    admin_email: Annotated[str, typer.Option(help="E-mail of the tenant admin")],
    admin_password: Annotated[str, typer.Option(help="Password of the tenant admin (min. 8 characters)")],
) -> None:
    """Create (or find) a tenant and its admin. Safe to run again."""
    from tenantplane.identity.schemas import TenantCreate, UserCreate
    from tenantplane.identity.service import bootstrap as do_bootstrap

    settings = _settings()
    try:
        TenantCreate(slug=tenant, name=tenant)
        UserCreate(email=admin_email, display_name="Administrator", password=admin_password)
    except ValueError as exc:
        typer.echo(f"invalid input: {exc}", err=True)
        raise typer.Exit(2) from exc

    async def work(session: AsyncSession) -> bool:
        _, _, created = await do_bootstrap(session, slug=tenant, admin_email=admin_email, admin_password=admin_password)
        return created

    created = _in_one_transaction(settings, work)
    typer.echo(f"tenant '{tenant}' with admin {admin_email.lower()}: {'created' if created else 'already present'}")


@app.command("create-api-token")
def create_api_token(
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
    email: Annotated[str, typer.Option(help="E-mail of the user the token acts as")],
    name: Annotated[str, typer.Option(help="A name to recognise the token by")] = "cli",
    expires_in_days: Annotated[int | None, typer.Option(help="Days until it expires (default: never)")] = None,
) -> None:
    """Create a personal API token for a user and print its secret (shown only once)."""
    from tenantplane.identity.service import create_api_token as do_create

    async def work(session: AsyncSession) -> str | None:
        user = await _tenant_user(session, tenant, email)
        if user is None:
            return None
        _, secret = await do_create(session, actor=None, user=user, name=name, expires_in_days=expires_in_days)
        return secret

    secret = _in_one_transaction(_settings(), work)
    if secret is None:
        typer.echo(f"no user {email} in tenant {tenant}", err=True)
        raise typer.Exit(1)
    typer.echo(secret)


@app.command("unlock-account")
def unlock_account(
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
    email: Annotated[str, typer.Option(help="E-mail of the user to unlock")],
) -> None:
    """Forget a user's failed sign-ins from every address, so they can sign in again at once (audited as system)."""
    from tenantplane.identity.service import unlock_account as do_unlock

    async def work(session: AsyncSession) -> int | None:
        user = await _tenant_user(session, tenant, email)
        return None if user is None else await do_unlock(session, actor=None, user=user)

    locked = _in_one_transaction(_settings(), work)
    if locked is None:
        typer.echo(f"no user {email} in tenant {tenant}", err=True)
        raise typer.Exit(1)
    typer.echo(f"unlocked {email.lower()} in tenant '{tenant}' (was locked out from {locked} address(es))")


@app.command("create-platform-admin")
def create_platform_admin(
    email: Annotated[str, typer.Option(help="E-mail of the platform administrator")],
    password: Annotated[str, typer.Option(help="Password (min. 8 characters)")],
) -> None:
    """Create a platform administrator, who manages tenants and belongs to none."""
    from tenantplane.identity.service import create_platform_admin as do_create
    from tenantplane.kit.errors import Conflict

    settings = _settings()
    if len(password) < 8:
        typer.echo("the password needs at least 8 characters", err=True)
        raise typer.Exit(2)

    async def work(session: AsyncSession) -> None:
        await do_create(session, email=email, password=password)

    try:
        _in_one_transaction(settings, work)
    except Conflict as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"platform administrator {email.lower()} created")


@app.command()
def backup(file: Annotated[Path, typer.Argument(help="The archive to write (pg_dump custom format)")]) -> None:
    """Back the whole database up to FILE: one consistent snapshot, safe while servers and workers run."""
    from tenantplane.kit import backup as tool

    settings = _settings()
    try:
        with tool.spinner("backing up") as progress:
            report = tool.backup(resolve_database_url(settings.database_url, settings.data_dir), file, progress)
    except tool.BackupError as exc:
        typer.echo(f"backup failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(
        f"wrote {report.file}: {tool.human_size(report.size)}, {report.tables} tables, "
        f"schema revision {report.revision or 'none'} (by {report.tool})"
    )


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="An archive written by `tenantplane backup`")],
    force: Annotated[bool, typer.Option("--force", help="Replace everything in a database that is not empty")] = False,
) -> None:
    """Restore FILE into the (empty) database, then migrate it to head. Stop every server and worker on it first."""
    from tenantplane.kit import backup as tool

    settings = _settings()
    try:
        with tool.spinner("restoring") as progress:
            url = resolve_database_url(settings.database_url, settings.data_dir)
            report = tool.restore(url, file, force=force, progress=progress)
    except tool.BackupError as exc:
        typer.echo(f"restore failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(
        f"restored {report.file} ({report.tables} tables{', after emptying the database' if report.emptied else ''}"
        f"; by {report.tool}); migrated the schema from revision {report.revision_before or 'none'} to head "
        f"({report.revision_after})"
    )


@app.command("check-sandbox")
def check_sandbox() -> None:
    """Say whether this machine can run runbook scripts confined, and with which network (exit 1 if it cannot)."""
    from tenantplane.runbooks.isolation import SandboxConfig, probe_sandbox
    from tenantplane.runbooks.network import NetworkUnavailable, database_hosts, network_mode

    config = SandboxConfig.from_settings(_settings())
    status = probe_sandbox(config)
    typer.echo(status.describe())
    try:
        mode = asyncio.run(network_mode(config.network, database_hosts(config.database_url)))
    except NetworkUnavailable as exc:
        typer.echo(f"scripts cannot run: egress was asked for, but {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"script network: {mode}" + (" (own loopback only)" if mode == "none" else " (filtered per run)"))
    if status.problems:
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover - console entry point wrapper
    sys.exit(app())


if __name__ == "__main__":  # pragma: no cover - `python -m tenantplane.cli`
    main()
