"""Imports every domain's ORM models so Base.metadata knows all tables (Alembic, drift test, app).

Discovery is by convention: any `tenantplane.<domain>.models` module is loaded.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

import tenantplane


def domain_modules(name: str) -> list[str]:
    """Dotted names of `tenantplane.<domain>.<name>` modules that exist, in a stable order."""
    found = []
    for package in sorted(pkgutil.iter_modules(tenantplane.__path__), key=lambda m: m.name):
        if package.ispkg and importlib.util.find_spec(f"tenantplane.{package.name}.{name}") is not None:
            found.append(f"tenantplane.{package.name}.{name}")
    return found


def load_all_models() -> None:
    for module in domain_modules("models"):
        importlib.import_module(module)


load_all_models()
