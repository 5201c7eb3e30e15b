"""Imports every ORM model so Base.metadata knows all tables (for Alembic and the drift test).

Each domain adds its models module here.
"""

from __future__ import annotations

from tenantplane.audit import models as audit_models
from tenantplane.identity import models as identity_models

__all__ = ["audit_models", "identity_models"]
