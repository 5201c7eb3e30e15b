"""Shared building blocks: database, embedded PostgreSQL, errors, pagination, logging, metrics."""
