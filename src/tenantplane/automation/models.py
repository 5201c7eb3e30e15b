"""The automation domain's tables, for the loader that finds every `tenantplane.<domain>.models` (see
`tenantplane/models.py`): each wing keeps its own (`definitions`, `runs`, `triggers`); import them from there."""

from __future__ import annotations

from tenantplane.automation.definitions import models as definitions
from tenantplane.automation.runs import models as runs
from tenantplane.automation.triggers import models as triggers

__all__ = ["definitions", "runs", "triggers"]
