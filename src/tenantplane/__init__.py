"""Tenant Plane: ITSM approval workflows and automation workflows, multi-tenant, on PostgreSQL."""

__version__ = "0.1.0"
