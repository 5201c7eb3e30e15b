"""HTTP routes of ITSM approvals under /api/workflows/definitions and /api/workflows/instances.

Mounted by convention (app.py finds `tenantplane.approvals.endpoints.router`).
"""

from __future__ import annotations

from fastapi import APIRouter

from tenantplane.approvals.definition_endpoints import router as definitions_router
from tenantplane.approvals.instance_endpoints import router as instances_router

router = APIRouter()
router.include_router(definitions_router)
router.include_router(instances_router)
