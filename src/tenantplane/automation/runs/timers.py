"""Delay steps: the durable timer job due at the delay's end (a fixed number of seconds, or a rendered `until`).

Called by `service.apply_event` when the engine schedules a timer; the job's firing is `steps.timer_fired`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.automation.definitions.validation import parse_time
from tenantplane.automation.engine.expressions import TemplateFailed, render_async
from tenantplane.automation.runs.state import TIMER, LoadedRun, now
from tenantplane.jobs.queue import enqueue


async def schedule_timer(session: AsyncSession, loaded: LoadedRun, step_id: str, attempt: int) -> None:
    """A durable timer job due at the delay's end (a template `until` that fails makes the step fail)."""
    config = loaded.config(step_id)
    payload: dict[str, Any] = {"execution_id": str(loaded.execution.id), "step_id": step_id, "attempt": attempt}
    run_at = now()
    if "seconds" in config:
        run_at = run_at + timedelta(seconds=float(config["seconds"]))
    else:
        try:
            until = parse_time(str(await render_async(config["until"], loaded.context())))
        except TemplateFailed as error:
            until, payload["error"] = None, str(error)
        if until is None:
            payload.setdefault("error", f"until is not an ISO-8601 time with a time zone: {config['until']!r}")
        else:
            run_at = max(run_at, until)
    await enqueue(session, kind=TIMER, payload=payload, tenant_id=loaded.execution.tenant_id, run_at=run_at)
