"""The registry the route sweeps read: each domain adds a `tests/api/sweep_<domain>.py` module.

A module may define FACTORIES (path parameter name → creates such an object in a tenant, returns its id),
BODIES ((method, path) → valid body for the cross-tenant call), AUDIT_SCENARIOS ((method, path) →
(set-up, call under test)), NOT_MUTATIONS, PUBLIC and CROSS_TENANT_PREFIXES (each with the reason).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

import tests.api
from tests.api.conftest import TenantContext

Ids = dict[str, str]
Factory = Callable[[TenantContext, httpx.AsyncClient], Awaitable[str]]
BodyFor = Callable[[dict[str, str]], dict[str, Any]]
Setup = Callable[[httpx.AsyncClient, TenantContext], Awaitable[Ids]]
Call = Callable[[httpx.AsyncClient, TenantContext, Ids], Awaitable[httpx.Response]]


def collect(name: str) -> dict[Any, Any]:
    """Merge the dict called `name` from every sweep_* module."""
    merged: dict[Any, Any] = {}
    for module in pkgutil.iter_modules(tests.api.__path__):
        if module.name.startswith("sweep_"):
            merged.update(getattr(importlib.import_module(f"tests.api.{module.name}"), name, {}))
    return merged
