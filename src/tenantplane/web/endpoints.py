"""Serves the built web app: hashed assets cached for a year, index.html for every client-side route.

Paths the API owns (/api, docs, health, metrics) are never answered with the app, so their 404s stay problems.
"""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope

from tenantplane.kit.errors import NotFound

WEB_DIST = Path(__file__).resolve().parent.parent / "web_dist"
RESERVED_PREFIXES = ("/api", "/scim", "/docs", "/redoc", "/openapi.json", "/healthz", "/readyz", "/metrics", "/assets")
IMMUTABLE = "public, max-age=31536000, immutable"  # Vite puts a content hash in every file name under assets/
REVALIDATE = "no-cache"  # index.html names the current assets: always check it is still current
SHORT = "public, max-age=3600"
APP_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def is_reserved(path: str) -> bool:
    """Whether `path` belongs to the API rather than to the web app."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in RESERVED_PREFIXES)


class ClientRoute(APIRoute):
    """A catch-all that steps aside for reserved paths, so unknown /api URLs still get the API's 404 problem."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and is_reserved(_route_path(scope)):
            return Match.NONE, {}
        return super().matches(scope)


def _file_within(root: Path, relative: str) -> Path | None:
    """The regular file `relative` under `root`, refusing anything that resolves outside it."""
    if not relative or "\x00" in relative:
        return None
    base = root.resolve()
    candidate = (base / relative).resolve()
    return candidate if candidate.is_relative_to(base) and candidate.is_file() else None


def _file_response(request: Request, path: Path, cache_control: str, headers: dict[str, str] | None = None) -> Response:
    response = FileResponse(path, headers={"Cache-Control": cache_control, **(headers or {})}, stat_result=path.stat())
    etag = response.headers.get("etag")
    if etag and etag in request.headers.get("if-none-match", ""):
        kept = {k: v for k, v in response.headers.items() if k in ("etag", "cache-control", "last-modified")}
        return Response(status_code=304, headers=kept)
    return response


def _not_built(dist: Path) -> HTMLResponse:
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tenant Plane: web UI not built</title></head>
<body>
<main>
<h1>The web UI has not been built</h1>
<p>This server found no <code>{html.escape(str(dist / "index.html"))}</code>.</p>
<p>Build it with <code>make run</code> (builds it when missing, then serves), or with
<code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>, then reload this page.</p>
<p>The API works without it: see <a href="/docs">the API documentation</a>.</p>
</main>
</body></html>
"""
    return HTMLResponse(body, status_code=503, headers={"Cache-Control": "no-store"})


def client_router(dist: Path) -> APIRouter:
    """The routes serving the app built into `dist` (a separate factory so tests can point it elsewhere)."""
    router = APIRouter(tags=["web"], include_in_schema=False)

    @router.api_route("/workflow", methods=["GET", "HEAD"])
    @router.api_route("/workflow/{rest:path}", methods=["GET", "HEAD"])
    async def workflow_redirect(request: Request) -> RedirectResponse:
        """The automation UI lives at /workflows; the singular form (used in the user guide) redirects there."""
        rest = _route_path(request.scope).removeprefix("/workflow")
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"{request.scope.get('root_path', '')}/workflows{rest}{query}", status_code=308)

    @router.api_route("/assets/{name:path}", methods=["GET", "HEAD"])
    async def asset(name: str, request: Request) -> Response:
        file = _file_within(dist / "assets", name)
        if file is None:
            raise NotFound(f"No web asset '{name}'.")
        return _file_response(request, file, IMMUTABLE, {"X-Content-Type-Options": "nosniff"})

    async def client_page(path: str, request: Request) -> Response:
        """index.html for any client route; a file the build put at the top (favicon.svg) is served as itself."""
        index = dist / "index.html"
        if not index.is_file():
            return _not_built(dist)
        file = _file_within(dist, path)
        if file is not None and file != index.resolve():
            return _file_response(request, file, SHORT, {"X-Content-Type-Options": "nosniff"})
        return _file_response(request, index, REVALIDATE, APP_HEADERS)

    router.add_api_route(
        "/{path:path}", client_page, methods=["GET", "HEAD"], route_class_override=ClientRoute, name="web_app"
    )
    return router


router = client_router(WEB_DIST)
