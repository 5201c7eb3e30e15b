"""Tenants, users, groups, roles, authentication and permissions."""
