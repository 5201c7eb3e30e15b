"""A test-only inline built-in for the crash tests: `test.pause` notes each time it runs in a file, and the first
time waits (so the test can kill the worker while the step's transaction is open). Loaded with `--import`."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tenantplane.runbooks.actions import ActionContext, builtin_action


@builtin_action(
    "test.pause",
    description="Appends a line to `marker`; the first run then sleeps `seconds`.",
    fields={"marker", "seconds"},
    required={"marker"},
    inline=True,
)
async def pause(ctx: ActionContext, config: Mapping[str, Any]) -> dict[str, Any]:
    marker = Path(str(config["marker"]))
    first = not marker.exists()
    with marker.open("a") as out:
        out.write(f"{ctx.execution_id}\n")
    if first:
        await asyncio.sleep(float(config.get("seconds", 60)))
    return {"runs": len(marker.read_text().splitlines())}
