"""Links in approval e-mails open the web UI: a real `tenantplane serve` (with its worker) at TENANTPLANE_PUBLIC_URL
mails approvers through a real SMTP server (aiosmtpd); the link in each e-mail, fetched from that server, is the page.

Also the startup errors of a bad TENANTPLANE_PUBLIC_URL, and the worker's warning when it is unset.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.live_server import bearer, free_port, serving, truncate_all

pytestmark = pytest.mark.system
ROOT = Path(__file__).resolve().parents[2]
WEB_DIST = ROOT / "src" / "tenantplane" / "web_dist"
CLI = [sys.executable, "-m", "tenantplane.cli"]
TENANT = "links"
ADMIN = ("admin@links.example.com", "links-admin-password")
OPEN_LINE = re.compile(r"^Open: (\S+)$", re.MULTILINE)


@dataclass
class Mailbox:
    port: int
    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, recipient: str, timeout: float = 30) -> EmailMessage:
        """The first message to `recipient`, waiting for it to arrive."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                for rcpts, message in self.messages:
                    if recipient in rcpts:
                        return message
                left = deadline - time.monotonic()
                assert left > 0, f"no e-mail to {recipient}; got {[r for r, _ in self.messages]}"
                self.arrived.wait(left)


@dataclass
class Plane:
    url: str
    mailbox: Mailbox
    admin: httpx.Client

    def user(self) -> tuple[str, str]:
        email = f"approver-{uuid.uuid4().hex[:8]}@links.example.com"
        created = self.admin.post("/api/users", json={"email": email, "display_name": "Approver", "roles": []})
        assert created.status_code == 201, created.text
        return str(created.json()["id"]), email


def _web_bundle() -> None:
    if not (WEB_DIST / "index.html").is_file():
        reason = f"the web app is not built into {WEB_DIST} (cd web && npm run build)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"this test cannot run under CI: {reason}", pytrace=False)
        pytest.skip(reason)


def _env(database_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTPLANE_")}
    return env | {
        "TENANTPLANE_DATABASE_URL": database_url,
        "TENANTPLANE_SECRET_KEY": "links-live-secret-" + "x" * 32,
        "TENANTPLANE_DATA_DIR": str(data_dir),
        "TENANTPLANE_ALLOWED_EGRESS_HOSTS": "127.0.0.1",  # the SMTP server of this test
        "TENANTPLANE_LOG_FORMAT": "console",
        "TENANTPLANE_LOG_LEVEL": "WARNING",
    }


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    state = Mailbox(port=free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with state.arrived:
                parsed = message_from_bytes(envelope.content, policy=policy.default)  # headers unfolded, text decoded
                assert isinstance(parsed, EmailMessage)
                state.messages.append((list(envelope.rcpt_tos), parsed))
                state.arrived.notify_all()
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=state.port)
    controller.start()
    yield state
    controller.stop()


@pytest.fixture(scope="module")
def plane(database_url: str, mailbox: Mailbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plane]:
    _web_bundle()
    truncate_all(database_url)
    port = free_port()
    env = _env(database_url, tmp_path_factory.mktemp("links-data")) | {
        "TENANTPLANE_PUBLIC_URL": f"http://127.0.0.1:{port}/"
    }
    boot = subprocess.run(
        [*CLI, "bootstrap", "--tenant", TENANT, "--admin-email", ADMIN[0], "--admin-password", ADMIN[1]],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert boot.returncode == 0, boot.stderr
    try:
        with serving(env, worker=True, port=port) as url:
            with httpx.Client(base_url=url, headers=bearer(url, TENANT, *ADMIN), timeout=30) as admin:
                mail = {"host": "127.0.0.1", "port": mailbox.port, "tls": "none", "from": "plane@links.example.com"}
                channel = {"name": "mail", "type": "email", "config": mail, "default": True}
                created = admin.post("/api/notifications/channels", json=channel)
                assert created.status_code == 201, created.text
                yield Plane(url, mailbox, admin)
    finally:
        truncate_all(database_url)


def _opens_the_page(plane: Plane, message: EmailMessage, path: str) -> None:
    """The e-mail's one link is the public URL + `path`, and GET on it answers the web UI's page."""
    text = message.get_content().replace("\r\n", "\n")  # SMTP lines end in CRLF
    assert OPEN_LINE.findall(text) == [f"{plane.url}{path}"], text
    assert text.count(path) == 1, text  # no relative copy of it elsewhere in the text
    page = httpx.get(OPEN_LINE.findall(text)[0], timeout=10)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<div id="root">' in page.text
    assert "<title>Tenant Plane</title>" in page.text


def test_an_itsm_approval_email_links_the_approval_page_that_the_server_serves(plane: Plane) -> None:
    approver_id, approver_email = plane.user()
    steps = [{"name": "lead", "order": 1, "approver_type": "user", "approver_value": approver_id}]
    definition = plane.admin.post("/api/workflows/definitions", json={"name": "laptops", "steps": steps})
    assert definition.status_code == 201, definition.text
    started = plane.admin.post(
        "/api/workflows/instances",
        json={
            "definition_id": definition.json()["id"],
            "record_type": "test.record",
            "record_id": str(uuid.uuid4()),
            "variables": {"item": "Laptop"},
        },
    )
    assert started.status_code == 201, started.text
    message = plane.mailbox.wait_for(approver_email)
    assert str(message["Subject"]).strip().startswith("Approval needed")  # a long subject is folded
    _opens_the_page(plane, message, f"/approvals/instances/{started.json()['id']}")


def test_an_automation_gate_email_links_the_gate_page_that_the_server_serves(plane: Plane) -> None:
    approver_id, approver_email = plane.user()
    gate = {"approvers": [{"type": "user", "value": approver_id}], "message": "Restart the database?"}
    body = {"name": "restart", "steps": [{"id": "ok", "type": "approval", "name": "ok", "config": gate}]}
    workflow = plane.admin.post("/api/workflows", json=body)
    assert workflow.status_code == 201, workflow.text
    execution = plane.admin.post(f"/api/workflows/{workflow.json()['id']}/execute", json={"inputs": {}})
    assert execution.status_code == 202, execution.text
    message = plane.mailbox.wait_for(approver_email)
    assert message["Subject"] == "Approval needed: ok"
    gates = plane.admin.get("/api/automation/approvals", params={"status": "pending"})
    [pending] = [g for g in gates.json()["items"] if g["execution_id"] == execution.json()["id"]]
    _opens_the_page(plane, message, f"/approvals/gates/{pending['id']}")


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_a_bad_public_url_stops_serve_and_worker_with_a_clear_error(command: str, tmp_path: Path) -> None:
    env = _env("postgresql://unused.invalid/none", tmp_path) | {"TENANTPLANE_PUBLIC_URL": "plane.example.com/itsm"}
    done = subprocess.run([*CLI, command], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip() == (
        "invalid configuration: TENANTPLANE_PUBLIC_URL: 'plane.example.com/itsm' must be an absolute http:// or "
        "https:// URL, e.g. https://plane.example.com"
    )


def test_a_worker_without_a_public_url_warns_where_its_links_point(tmp_path: Path) -> None:
    # No database to reach: the warning comes first, and this worker must take no job of the server above.
    env = _env("postgresql://postgres@127.0.0.1:1/none", tmp_path) | {
        "TENANTPLANE_HOST": "plane.internal",
        "TENANTPLANE_PORT": "9000",
    }
    worker = subprocess.Popen(
        [*CLI, "worker"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    stuck = threading.Timer(60, worker.kill)  # a worker that never logs must not hang the test
    stuck.start()
    try:
        assert worker.stderr is not None
        first = worker.stderr.readline()  # the warning is logged before the worker connects
    finally:
        stuck.cancel()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    assert "TENANTPLANE_PUBLIC_URL is not set" in first, first
    assert "public_url=http://plane.internal:9000" in first, first
