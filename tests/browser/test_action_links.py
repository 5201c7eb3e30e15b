"""Signed action links in Chromium: an approval e-mail received by a real SMTP server (aiosmtpd), its approve link
opened → the confirmation page → approved; the same link again says it was used; a reject link needs a comment; the
link of a person four-eyes refuses (the requester, as an approver's delegate) says why and decides nothing; an expired
link is refused.

A server of its own (with its embedded worker, egress to 127.0.0.1 allowed, its public URL in the links) runs on the
shared test database; the page is opened at the URL exactly as the e-mail carries it, without signing in.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from typing import Any

import httpx
import psycopg
import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, BrowserPage, LiveServer, _browser_page
from tests.live_server import free_port, serving

pytestmark = pytest.mark.browser
PASSWORD = "action-links-password-1"
LINK = re.compile(r"^(Approve|Reject): (\S+)\r?$", re.MULTILINE)


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        body = message_from_bytes(envelope.content).get_payload(decode=True).decode()
        self.messages.append((list(envelope.rcpt_tos), body))
        return "250 OK"

    def links(self, email: str, after: int = 0, timeout: float = 30) -> dict[str, str]:
        """The Approve / Reject URLs of the first e-mail to `email` past the first `after` (waits for it)."""
        deadline = time.monotonic() + timeout
        while True:
            mine = [body for rcpts, body in self.messages if email in rcpts]
            if len(mine) > after:
                return dict(LINK.findall(mine[after]))
            assert time.monotonic() < deadline, f"no e-mail to {email}: {self.messages}"
            time.sleep(0.1)


@pytest.fixture(scope="module")
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture(scope="module")
def links_server(live_server: LiveServer) -> Iterator[LiveServer]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = live_server.env | {"TENANTPLANE_ALLOWED_EGRESS_HOSTS": "127.0.0.1", "TENANTPLANE_PUBLIC_URL": url}
    with serving(env, worker=True, port=port) as served:
        yield LiveServer(url=served, database_url=live_server.database_url, env=env)


@pytest.fixture
def link_ui(browser: Any, links_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[BrowserPage]:
    yield from _browser_page(browser, links_server, request, DESKTOP)


def _call(server: LiveServer, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    response = httpx.request(method, f"{server.url}{path}", json=body, headers=headers or server.admin_headers())
    assert response.status_code in (200, 201), response.text
    return response.json()


def _people(server: LiveServer, mail_port: int, tag: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """A default e-mail channel to the mailbox, an approver, and a requester with their bearer headers."""
    config = {"host": "127.0.0.1", "port": mail_port, "tls": "none", "from": "plane@acme.example.com"}
    channel = {"name": f"mail-{tag}", "type": "email", "config": config, "default": True}
    _call(server, "POST", "/api/notifications/channels", channel)  # the tenant's default from now on
    approver = _call(
        server, "POST", "/api/users", {"email": f"ann-{tag}@acme.example.com", "display_name": f"Ann {tag}"}
    )
    requester = _call(
        server,
        "POST",
        "/api/users",
        {"email": f"rob-{tag}@acme.example.com", "display_name": f"Rob {tag}", "password": PASSWORD},
    )
    token = httpx.post(
        f"{server.url}/api/auth/token",
        json={"tenant": server.tenant, "email": requester["email"], "password": PASSWORD},
    ).json()["access_token"]
    return approver, requester, {"Authorization": f"Bearer {token}"}


def _request_approval(server: LiveServer, approver_id: str, as_requester: dict[str, str], title: str) -> dict[str, Any]:
    steps = [{"name": "lead", "order": 1, "approver_type": "user", "approver_value": approver_id}]
    definition = _call(
        server, "POST", "/api/workflows/definitions", {"name": f"def-{uuid.uuid4().hex[:6]}", "steps": steps}
    )
    body = {"definition_id": definition["id"], "record_type": "test.record", "record_id": str(uuid.uuid4())}
    return _call(
        server,
        "POST",
        "/api/workflows/instances",
        body | {"title": title, "variables": {"item": "Laptop"}},
        as_requester,
    )


def _status(server: LiveServer, instance_id: str) -> str:
    return str(_call(server, "GET", f"/api/workflows/instances/{instance_id}")["status"])


def test_an_emailed_link_approves_after_confirming_then_says_it_was_used(
    link_ui: BrowserPage, mailbox: tuple[Mailbox, int]
) -> None:
    server, page, (box, port) = link_ui.server, link_ui.page, mailbox
    tag = uuid.uuid4().hex[:6]
    approver, _, as_requester = _people(server, port, tag)
    instance = _request_approval(server, approver["id"], as_requester, f"Laptop for Rob {tag}")
    links = box.links(approver["email"])
    assert links["Approve"].startswith(f"{server.url}/action/")

    page.goto(links["Approve"])
    expect(page.get_by_role("heading", name="Approve?")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Laptop for Rob {tag}")).to_be_visible()
    expect(page.get_by_label("Variables")).to_contain_text("Laptop")
    expect(page.get_by_text(f"For {approver['email']}")).to_be_visible()
    assert _status(server, instance["id"]) == "pending"  # the page is open: nothing decided yet
    link_ui.screenshot("action-link-confirmation", full_page=True)
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("heading", name="Approved")).to_be_visible()
    assert _status(server, instance["id"]) == "approved"

    link_ui.console.expect_http_error(410, "/api/action-links/" + links["Approve"].rsplit("/", 1)[1])
    page.goto(links["Approve"])
    expect(page.get_by_role("heading", name="This link cannot be used")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("already used")


def test_a_reject_link_needs_a_comment(link_ui: BrowserPage, mailbox: tuple[Mailbox, int]) -> None:
    server, page, (box, port) = link_ui.server, link_ui.page, mailbox
    tag = uuid.uuid4().hex[:6]
    approver, _, as_requester = _people(server, port, tag)
    instance = _request_approval(server, approver["id"], as_requester, f"Monitor {tag}")
    reject = box.links(approver["email"])["Reject"]
    link_ui.console.expect_http_error(422, "/api/action-links/" + reject.rsplit("/", 1)[1])
    page.goto(reject)
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_text("a comment", exact=False).first).to_be_visible()
    assert _status(server, instance["id"]) == "pending"
    page.get_by_label("Comment").fill("Not in this quarter's budget")
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("heading", name="Rejected")).to_be_visible()
    assert _status(server, instance["id"]) == "rejected"


def test_four_eyes_refuses_the_requesters_link_and_says_why(link_ui: BrowserPage, mailbox: tuple[Mailbox, int]) -> None:
    server, page, (box, port) = link_ui.server, link_ui.page, mailbox
    tag = uuid.uuid4().hex[:6]
    approver, requester, as_requester = _people(server, port, tag)
    until = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    _call(server, "PATCH", f"/api/users/{approver['id']}", {"delegate_id": requester["id"], "delegate_until": until})
    instance = _request_approval(server, approver["id"], as_requester, f"Server {tag}")
    approve = box.links(requester["email"])["Approve"]  # told as the approver's delegate
    link_ui.console.expect_http_error(403, "/api/action-links/" + approve.rsplit("/", 1)[1])
    page.goto(approve)
    expect(page.get_by_role("heading", name="This link cannot be used")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("the requester may not decide their own request (four-eyes")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    assert _status(server, instance["id"]) == "pending"


def test_an_expired_link_is_refused(link_ui: BrowserPage, mailbox: tuple[Mailbox, int]) -> None:
    server, page, (box, port) = link_ui.server, link_ui.page, mailbox
    tag = uuid.uuid4().hex[:6]
    approver, _, as_requester = _people(server, port, tag)
    instance = _request_approval(server, approver["id"], as_requester, f"Phone {tag}")
    approve = box.links(approver["email"])["Approve"]
    with psycopg.connect(server.database_url, autocommit=True) as conn:  # the clock moved on past its expiry
        conn.execute(
            "UPDATE action_links SET expires_at = now() - interval '1 minute' WHERE subject_id = %s", (instance["id"],)
        )
    link_ui.console.expect_http_error(410, "/api/action-links/" + approve.rsplit("/", 1)[1])
    page.goto(approve)
    expect(page.get_by_role("alert")).to_contain_text("expired")
    assert _status(server, instance["id"]) == "pending"
