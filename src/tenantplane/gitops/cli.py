"""The `export` and `apply` commands: tenant definitions as YAML, with a diff before anything is written.

`register(app)` adds both as top-level commands of the main `tenantplane` CLI.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tenantplane.gitops.documents import GitopsError, dump_documents, load_documents
from tenantplane.kit.commands import command_settings
from tenantplane.kit.db import Database
from tenantplane.kit.embedded import ready_url

if TYPE_CHECKING:
    from tenantplane.gitops.apply import Change

app = typer.Typer(help="Definitions as YAML: export and apply.")


class _Abort(Exception):
    """Roll the apply back: the user declined (or could not confirm)."""


def _database_url() -> str:
    """The configured server, or the embedded one (started and migrated on demand), as every command uses."""
    settings = command_settings()
    return ready_url(settings.database_url, settings.data_dir)


def _summary(changes: list[Change]) -> str:
    counts = {action: sum(1 for c in changes if c.action == action) for action in ("create", "update", "unchanged")}
    return f"{counts['create']} to create, {counts['update']} to update, {counts['unchanged']} unchanged"


def _confirm(changes: list[Change], yes: bool) -> bool:
    """Print the plan; True when it should be committed."""
    for change in changes:
        typer.echo(change.line())
    typer.echo(_summary(changes))
    if all(c.action == "unchanged" for c in changes):
        typer.echo("nothing to apply")
        return False
    if yes:
        return True
    try:
        return typer.confirm("Apply these changes?", default=False)
    except typer.Abort:
        return False


async def _apply(url: str, tenant: str, paths: list[Path], yes: bool) -> str:
    """The outcome: applied, unchanged (nothing to write) or aborted (declined, rolled back)."""
    from tenantplane.gitops.apply import admin_principal, apply_documents
    from tenantplane.identity import repository as identity_repo

    documents = load_documents(paths)
    database = Database(url, pool_size=1)
    outcome = "applied"
    try:
        async with database.transaction() as session:
            found = await identity_repo.find_tenant(session, tenant)
            actor = await admin_principal(session, found.id) if found else None
            if actor is None:
                raise GitopsError(f"no tenant '{tenant}' with an active admin; run `tenantplane bootstrap` first")
            changes = await apply_documents(session, actor, documents)
            if not _confirm(changes, yes):
                outcome = "unchanged" if all(c.action == "unchanged" for c in changes) else "aborted"
                raise _Abort
    except _Abort:
        pass
    finally:
        await database.dispose()
    return outcome


@app.command("apply")
def apply_command(
    files: Annotated[list[Path], typer.Option("-f", "--file", help="YAML file or directory (repeatable)")],
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking")] = False,
) -> None:
    """Show what the YAML would change (create / update / unchanged) and, once confirmed, apply it all at once."""
    url = _database_url()
    try:
        outcome = asyncio.run(_apply(url, tenant, files, yes))
    except GitopsError as exc:
        typer.echo(f"error: {exc}", err=True)
        typer.echo("nothing was written", err=True)
        raise typer.Exit(1) from exc
    if outcome == "aborted":
        typer.echo("aborted: nothing was written", err=True)
        raise typer.Exit(1)
    if outcome == "applied":
        typer.echo("applied")


async def _export(url: str, tenant: str) -> str:
    from tenantplane.gitops.export import export_documents
    from tenantplane.identity import repository as identity_repo

    database = Database(url, pool_size=1)
    try:
        async with database.transaction() as session:
            found = await identity_repo.find_tenant(session, tenant)
            if found is None:
                raise GitopsError(f"no tenant '{tenant}'")
            return dump_documents(await export_documents(session, found.id))
    finally:
        await database.dispose()


@app.command("export")
def export_command(
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Directory for tenantplane.yaml")] = None,
) -> None:
    """Write the tenant's users, groups, runbooks, approval definitions, workflows and catalog items as YAML."""
    url = _database_url()
    try:
        text = asyncio.run(_export(url, tenant))
    except GitopsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    if output is None:
        typer.echo(text, nl=False)
        return
    output.mkdir(parents=True, exist_ok=True)
    (output / "tenantplane.yaml").write_text(text)
    typer.echo(f"wrote {output / 'tenantplane.yaml'}")


def register(main: typer.Typer) -> None:
    """Add `export` and `apply` as top-level commands of the main CLI."""
    main.command("apply")(apply_command)
    main.command("export")(export_command)
