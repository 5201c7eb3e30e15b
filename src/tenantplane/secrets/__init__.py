"""Tenant secrets: values encrypted at rest, readable only by runbook executions, never by the API."""
