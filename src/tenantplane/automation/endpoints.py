"""The automation domain's routes, for the app's loader (every `tenantplane.<domain>.endpoints.router`): each wing
keeps its own — workflow definitions, runs (execute, gates, the approvals inbox) and triggers."""

from __future__ import annotations

from fastapi import APIRouter

from tenantplane.automation.definitions import endpoints as definitions
from tenantplane.automation.runs import endpoints as runs
from tenantplane.automation.triggers import endpoints as triggers

router = APIRouter()
for wing in (definitions, runs, triggers):
    router.include_router(wing.router)
