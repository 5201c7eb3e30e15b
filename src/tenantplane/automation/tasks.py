"""The automation domain's job handlers, for the workers' loader (every `tenantplane.<domain>.tasks`): each wing
registers its own — running steps, timers and gate timeouts (`runs.tasks`), firing schedules (`triggers.tasks`)."""

from __future__ import annotations

from tenantplane.automation.runs import tasks as runs
from tenantplane.automation.triggers import tasks as triggers

__all__ = ["runs", "triggers"]
