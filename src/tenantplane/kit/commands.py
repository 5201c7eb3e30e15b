"""What every `tenantplane` command starts with: its settings (a bad variable is a clear error, exit 2) and logging.

Shared by the main CLI and the gitops commands, so neither imports the other.
"""

from __future__ import annotations

import typer
from pydantic import ValidationError

from tenantplane.kit.observability import configure_logging
from tenantplane.settings import Settings


def command_settings() -> Settings:
    """The process's settings from the environment, logging configured; exit 2 naming each bad variable."""
    try:
        settings = Settings()
    except ValidationError as exc:  # a clear startup error naming the variable, not a traceback
        for error in exc.errors():
            name = "TENANTPLANE_" + "_".join(str(part) for part in error["loc"]).upper()
            typer.echo(f"invalid configuration: {name}: {error['msg'].removeprefix('Value error, ')}", err=True)
        raise typer.Exit(2) from exc
    configure_logging(settings.log_level, settings.log_format)
    return settings
