"""Browser tests: a real `tenantplane serve` process on a scratch database, driven by Debian's headless Chromium.

Without Chromium or the built web app these tests skip locally and fail under CI=true (CI must never skip them).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live_server import bearer, serving, truncate_all

ROOT = Path(__file__).resolve().parents[2]
WEB_DIST = ROOT / "src" / "tenantplane" / "web_dist"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CLI = [sys.executable, "-m", "tenantplane.cli"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
TENANT = "acme"
TENANT_NAME = "Acme Corporation"
ADMIN_EMAIL = "admin@acme.example.com"
ADMIN_PASSWORD = "browser-admin-password"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        _unavailable("Debian's chromium is not installed (make test installs it: apt-get install -y chromium)")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def web_bundle() -> Path:
    if not (WEB_DIST / "index.html").is_file():
        _unavailable(f"the web app is not built into {WEB_DIST} (make test builds it: cd web && npm run build)")
    return WEB_DIST


@dataclass
class LiveServer:
    url: str
    database_url: str
    env: dict[str, str]
    tenant: str = TENANT
    tenant_name: str = TENANT_NAME
    admin_email: str = ADMIN_EMAIL
    admin_password: str = ADMIN_PASSWORD

    def admin_headers(self) -> dict[str, str]:
        return bearer(self.url, self.tenant, self.admin_email, self.admin_password)


@pytest.fixture(scope="package")
def live_server(database_url: str, web_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`tenantplane serve` (no worker: jobs stay where the tests put them) with one bootstrapped tenant."""
    truncate_all(database_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTPLANE_")}
    env |= {
        "TENANTPLANE_DATABASE_URL": database_url,
        "TENANTPLANE_SECRET_KEY": "browser-tests-secret-" + "x" * 32,
        "TENANTPLANE_DATA_DIR": str(tmp_path_factory.mktemp("browser-data")),
        "TENANTPLANE_LOG_FORMAT": "console",
        "TENANTPLANE_LOG_LEVEL": "WARNING",
    }
    boot = subprocess.run(
        [*CLI, "bootstrap", "--tenant", TENANT, "--admin-email", ADMIN_EMAIL, "--admin-password", ADMIN_PASSWORD],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert boot.returncode == 0, boot.stderr
    try:
        with serving(env, worker=False) as url:  # no worker: jobs stay where the tests put them
            live = LiveServer(url=url, database_url=database_url, env=env)
            # The tenant's display name is what the header shows after sign-in.
            renamed = httpx.patch(f"{url}/api/tenant", json={"name": TENANT_NAME}, headers=live.admin_headers())
            assert renamed.status_code == 200, renamed.text
            yield live
    finally:
        truncate_all(database_url)


@pytest.fixture(scope="package")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@dataclass
class ConsoleGuard:
    """Every console error and uncaught exception of a page; a test fails on any it did not announce.

    Chromium logs each non-2xx fetch as "Failed to load resource: … status of N"; a test that provokes one on
    purpose (a 422 from a form it submits invalid) declares it with `expect_http_error`.
    """

    errors: list[str] = field(default_factory=list)
    expected: list[tuple[int, str]] = field(default_factory=list)

    def expect_http_error(self, status: int, path: str) -> None:
        self.expected.append((status, path))

    def on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        failed = re.search(r"Failed to load resource: .*status of (\d+)", message.text)
        url = (message.location or {}).get("url", "")
        if failed and any(int(failed.group(1)) == s and url.split("?")[0].endswith(p) for s, p in self.expected):
            return
        self.errors.append(f"console error: {message.text} ({url})")

    def on_page_error(self, error: Any) -> None:
        self.errors.append(f"uncaught exception: {error}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@dataclass
class BrowserPage:
    page: Any
    console: ConsoleGuard
    server: LiveServer

    def screenshot(self, name: str, *, full_page: bool = False) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def sign_in(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD, *, start: str = "/sign-in") -> None:
        page = self.page
        page.goto(start)
        page.get_by_label("Tenant").fill(self.server.tenant)
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("banner").get_by_role("button", name="Sign out").wait_for()


@pytest.fixture
def ui(browser: Any, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[BrowserPage]:
    """A fresh browser context (no cookies) at 1280x800; fails the test on unexpected console errors."""
    yield from _browser_page(browser, live_server, request, DESKTOP)


@pytest.fixture
def phone_ui(browser: Any, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[BrowserPage]:
    """Like `ui`, on a 390 px wide phone screen."""
    yield from _browser_page(browser, live_server, request, PHONE)


def _browser_page(
    browser: Any, live_server: LiveServer, request: pytest.FixtureRequest, viewport: dict[str, int]
) -> Iterator[BrowserPage]:
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    context.set_default_timeout(10_000)
    page = context.new_page()
    console = ConsoleGuard()
    page.on("console", console.on_console)
    page.on("pageerror", console.on_page_error)
    wrapped = BrowserPage(page=page, console=console, server=live_server)
    try:
        yield wrapped
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            wrapped.screenshot(f"failed-{request.node.name}", full_page=True)
        assert console.errors == [], "the page logged errors"
    finally:
        context.close()


@pytest.fixture
def worker(live_server: LiveServer) -> Iterator[subprocess.Popen[bytes]]:
    """A real `tenantplane worker` on the live server's database: it runs the workflow's steps."""
    proc = subprocess.Popen(
        [*CLI, "worker"],
        cwd=ROOT,
        env=live_server.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
