"""No two domains' routes answer the same path and method, so the order the app mounts the domains in is speed only
(`app.HOT_DOMAINS` go first), never which handler answers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.routing import Match

from tenantplane.app import HOT_DOMAINS, create_app, domain_routers


def _leaves(router: Any, domain: str) -> Iterator[tuple[str, Any]]:
    for route in getattr(router, "original_router", router).routes:
        if hasattr(route, "original_router"):
            yield from _leaves(route, domain)
        else:
            yield domain, route


def _routes(app: FastAPI) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for top in app.router.routes:
        if hasattr(top, "original_router"):
            first = next(_leaves(top, "?"))[1]
            found += _leaves(top, first.endpoint.__module__)
        else:
            found.append(("app", top))
    return found


def _sample(path: str) -> str:
    """A concrete path the route template matches: a UUID for each parameter, `a/b` for a `:path` one."""
    return re.sub(r"\{[^}:]+(:[^}]+)?\}", lambda m: "a/b" if m.group(1) == ":path" else str(uuid.uuid4()), path)


def _clashes(app: FastAPI) -> list[str]:
    routes = _routes(app)
    clashes = []
    for domain, route in routes:
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            scope = {"type": "http", "path": _sample(route.path), "method": method, "root_path": ""}
            for other_domain, other in routes:
                if other_domain != domain and other.matches(scope)[0] == Match.FULL:
                    clashes.append(f"{method} {route.path} ({domain}) also matches {other.path} ({other_domain})")
    return clashes


def test_no_two_domains_answer_the_same_path() -> None:
    assert _clashes(create_app()) == []


def test_a_clash_would_be_found() -> None:
    app = FastAPI()
    for name, path in (("one", "/api/things/{thing_id}"), ("two", "/api/things/special")):
        router = APIRouter()

        async def endpoint() -> None: ...

        endpoint.__module__ = f"tenantplane.{name}.endpoints"
        router.add_api_route(path, endpoint, methods=["GET"])
        app.include_router(router)
    assert _clashes(app) == [
        "GET /api/things/special (tenantplane.two.endpoints)"
        " also matches /api/things/{thing_id} (tenantplane.one.endpoints)"
    ]


def test_the_hot_domains_are_mounted_first() -> None:
    routers = domain_routers()
    first = [next(_leaves(r, "?"))[1].endpoint.__module__.split(".")[1] for r in routers[: len(HOT_DOMAINS)]]
    assert first == [name.split(".")[1] for name in HOT_DOMAINS] == ["identity"]
