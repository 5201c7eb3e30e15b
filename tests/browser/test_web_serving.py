"""How the API process serves the web app: client routes, asset caching, the API's own 404s, /workflow.

Most checks run the router in-process on a scratch bundle; the last one asks the real server over HTTP.
"""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from tenantplane.app import create_app
from tenantplane.kit.errors import install_error_handlers
from tenantplane.web.endpoints import IMMUTABLE, client_router
from tests.browser.conftest import LiveServer

HTML = {"Accept": "text/html,application/xhtml+xml"}


def _bundle(root: Path) -> Path:
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text('<!doctype html><script type="module" src="/assets/app-3f9a1c.js"></script>')
    (root / "assets" / "app-3f9a1c.js").write_text("console.log('app')")
    (root / "favicon.svg").write_text("<svg/>")
    return root


def _app(dist: Path) -> FastAPI:
    """The web router mounted *before* an API router, as domain discovery may do: it must not shadow it."""
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(client_router(dist))
    later = APIRouter()

    @later.get("/api/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    app.include_router(later)
    return app


class AppClient:
    """Requests to an ASGI app in-process, from synchronous tests.

    Synchronous on purpose: Playwright's sync API owns the event loop of this thread while the browser suite runs,
    so each request runs on a loop of its own thread.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://tp.test") as client:
                return await client.get(path, headers=headers)

        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, call()).result()


@pytest.fixture
def client(tmp_path: Path) -> AppClient:
    return AppClient(_app(_bundle(tmp_path / "dist")))


@pytest.mark.parametrize("path", ["/", "/admin/users", "/admin/groups/9b0c/members?x=1", "/sign-in"])
def test_client_routes_get_index_html_which_browsers_revalidate(client: AppClient, path: str) -> None:
    response = client.get(path, headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/assets/app-3f9a1c.js" in response.text
    assert response.headers["cache-control"] == "no-cache"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_hashed_assets_are_cached_for_a_year_and_top_level_files_for_an_hour(client: AppClient) -> None:
    asset = client.get("/assets/app-3f9a1c.js")
    assert asset.status_code == 200
    assert asset.headers["cache-control"] == IMMUTABLE
    assert "javascript" in asset.headers["content-type"]
    icon = client.get("/favicon.svg")
    assert icon.status_code == 200
    assert icon.text == "<svg/>"
    assert icon.headers["cache-control"] == "public, max-age=3600"


def test_an_unchanged_file_answers_304(client: AppClient) -> None:
    first = client.get("/admin/users")
    again = client.get("/admin/users", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize("path", ["/api/nope", "/api", "/assets/missing.js", "/docs/nope", "/healthz/x"])
def test_paths_the_api_owns_keep_their_404_problem(client: AppClient, path: str) -> None:
    response = client.get(path, headers=HTML)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_the_catch_all_does_not_shadow_routes_mounted_after_it(client: AppClient) -> None:
    assert (client.get("/api/ping")).json() == {"pong": "yes"}


def test_no_file_outside_the_bundle_is_served(client: AppClient, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("top secret")
    for path in ("/..%2fsecret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"):
        response = client.get(path)
        assert "top secret" not in response.text, path


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/workflow", "/workflows"),
        ("/workflow?status=active&page=2", "/workflows?status=active&page=2"),
        ("/workflow/4f1c/edit", "/workflows/4f1c/edit"),
    ],
)
def test_workflow_redirects_permanently_to_workflows(client: AppClient, path: str, location: str) -> None:
    response = client.get(path)
    assert response.status_code == 308
    assert response.headers["location"] == location


def test_without_a_build_the_page_says_how_to_build_it(tmp_path: Path) -> None:
    client = AppClient(_app(tmp_path / "not-built"))
    response = client.get("/admin/users", headers=HTML)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert "make run" in response.text
    assert "npm run build" in response.text
    assert client.get("/api/nope").status_code == 404


def test_the_app_mounts_the_web_router_without_adding_to_the_api_document() -> None:
    app = create_app()
    client = AppClient(app)  # no lifespan runs, so no database is needed
    assert client.get("/admin/users", headers=HTML).status_code in (200, 503)  # built or not
    assert client.get("/workflow").status_code == 308
    paths = app.openapi()["paths"]
    assert not [p for p in paths if not p.startswith("/api/") and p not in ("/healthz", "/readyz", "/metrics")]


@pytest.mark.browser
def test_the_real_server_serves_the_built_app(live_server: LiveServer) -> None:
    index = httpx.get(f"{live_server.url}/admin/users", headers=HTML)
    assert index.status_code == 200
    assert index.headers["cache-control"] == "no-cache"
    scripts = re.findall(r'src="(/assets/[^"]+\.js)"', index.text)
    assert scripts, index.text
    asset = httpx.get(f"{live_server.url}{scripts[0]}")
    assert asset.status_code == 200
    assert asset.headers["cache-control"] == IMMUTABLE
    redirect = httpx.get(f"{live_server.url}/workflow?view=list", follow_redirects=False)
    assert (redirect.status_code, redirect.headers["location"]) == (308, "/workflows?view=list")
    missing = httpx.get(f"{live_server.url}/api/does-not-exist", headers=HTML)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
