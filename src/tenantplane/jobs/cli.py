"""The `purge` command: apply the retention policy now (`kit.retention`), what the workers' housekeeping does
hourly, to the end and with progress. `register(app)` adds it to the main `tenantplane` CLI."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from tenantplane.jobs.retention import purge_all
from tenantplane.kit.commands import command_settings
from tenantplane.kit.db import Database
from tenantplane.kit.embedded import ready_url


def purge(
    days: Annotated[int | None, typer.Option(help="Keep this many days (default: TENANTPLANE_RETENTION_DAYS)")] = None,
) -> None:
    """Delete finished jobs, sent deliveries and live log chunks older than the retention (never business records)."""
    settings = command_settings()
    keep = settings.retention_days if days is None else days
    if keep <= 0:
        typer.echo("retention is off (0 days): nothing is purged")
        return

    async def run() -> dict[str, int] | None:
        database = Database(ready_url(settings.database_url, settings.data_dir), pool_size=1)
        try:
            return await purge_all(
                database, keep, seconds=None, progress=lambda rule, n: typer.echo(f"  {rule}: {n} deleted", err=True)
            )
        finally:
            await database.dispose()

    deleted = asyncio.run(run())
    if deleted is None:
        typer.echo("another process is purging right now; try again later", err=True)
        raise typer.Exit(1)
    typer.echo(f"purged what finished over {keep} days ago: " + ", ".join(f"{n} {rule}" for rule, n in deleted.items()))


def register(app: typer.Typer) -> None:
    app.command()(purge)
