"""Automation pages in Chromium against a real server and a real job worker: the runbook editor with a live test
run, notification channels with "Send test", secrets (names only) and an automation gate decided from the inbox.

The shared server runs without a worker, so this module starts `tenantplane worker` on the same database for its
tests. Screenshots land in test-artifacts/screenshots/ (runbook-editor.png, inbox.png, …).
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN_EMAIL, CLI, BrowserPage, LiveServer, bearer

pytestmark = pytest.mark.browser

PASSWORD = "automation-password-1"
FINISHED = {"succeeded", "failed", "rejected", "cancelled", "timed_out"}


@pytest.fixture(scope="module")
def worker(live_server: LiveServer) -> Iterator[subprocess.Popen[str]]:
    """A real job worker on the live server's database (runbook runs, workflow steps, deliveries)."""
    process = subprocess.Popen(
        [*CLI, "worker", "--concurrency", "2"],
        env=live_server.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1)
        assert process.poll() is None, process.stderr.read() if process.stderr else "worker exited"
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _post(server: LiveServer, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = httpx.post(f"{server.url}{path}", json=body, headers=headers or server.admin_headers())
    assert response.status_code in (201, 202), response.text
    result: dict[str, Any] = response.json()
    return result


def _wait_for(server: LiveServer, execution_id: str, statuses: set[str], timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    headers = server.admin_headers()
    while True:
        response = httpx.get(f"{server.url}/api/executions/{execution_id}", headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] in statuses:
            return body
        assert time.monotonic() < deadline, f"still {body['status']} after {timeout}s: {body}"
        time.sleep(0.3)


def test_a_runbook_is_written_in_the_editor_and_its_test_run_streams_its_log(
    ui: BrowserPage, worker: subprocess.Popen[str]
) -> None:
    name = f"Greeter {uuid.uuid4().hex[:6]}"
    ui.sign_in()
    page = ui.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Runbooks").click()
    expect(page.get_by_role("heading", name="Runbooks", level=1)).to_be_visible()
    page.get_by_role("link", name="New runbook").first.click()

    form = page.get_by_role("form", name="Runbook")
    form.get_by_role("textbox", name="Name", exact=True).fill(name)
    form.get_by_label("Description", exact=True).fill("Says hello, slowly.")
    action = form.get_by_role("group", name=re.compile(r"^Action 1"))
    action.get_by_label("Action name").fill("greet")
    parameters = form.get_by_role("group", name="Parameters", exact=True)

    # A schema typed as JSON that does not parse is said inline, before anything is sent.
    parameters.get_by_role("button", name="JSON Schema").click()
    parameters.get_by_label("Parameters JSON Schema").fill('{"type": "object",')
    form.get_by_role("button", name="Create runbook").click()
    expect(parameters.get_by_label("Parameters JSON Schema")).to_have_attribute("aria-invalid", "true")
    expect(parameters).to_contain_text("Not valid JSON")
    parameters.get_by_label("Parameters JSON Schema").fill("")
    parameters.get_by_role("button", name="Fields").click()
    parameters.get_by_role("button", name="Add parameter").click()
    parameters.get_by_label("Parameter name").fill("who")
    parameters.get_by_label("Required").check()

    # The API's problems come back as a 422 shown beside their fields: an action without a script...
    ui.console.expect_http_error(422, "/api/runbooks")
    form.get_by_role("button", name="Create runbook").click()
    script = action.get_by_label("Shell script")
    expect(script).to_have_attribute("aria-invalid", "true")
    expect(script).to_be_focused()
    expect(action).to_contain_text("is required")
    # The second line comes 3 s after the first: the first must be on screen before the run ends.
    script.fill(
        'echo "hello $TP_PARAM_WHO"\nsleep 3\necho "bye $TP_PARAM_WHO"\necho "greeting=hi $TP_PARAM_WHO" > "$TP_OUTPUT"'
    )
    # ...and a timeout out of range.
    form.get_by_label("Timeout (seconds)").fill("0")
    form.get_by_role("button", name="Create runbook").click()
    expect(form.get_by_label("Timeout (seconds)")).to_have_attribute("aria-invalid", "true")
    expect(script).not_to_have_attribute("aria-invalid", "true")
    form.get_by_label("Timeout (seconds)").fill("60")
    form.get_by_role("button", name="Create runbook").click()
    expect(page).to_have_url(re.compile(r"/runbooks/[0-9a-f-]{36}$"))
    expect(page.get_by_role("status").filter(has_text="Created")).to_be_visible()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    expect(page.get_by_role("list", name="Versions")).to_contain_text("Version 1")

    run = page.get_by_role("region", name="Test run")
    run.get_by_label("who").fill("Ann")
    run.get_by_role("button", name="Run now").click()
    log = run.get_by_role("log", name="Live log")
    expect(log).to_contain_text("hello Ann", timeout=20_000)
    expect(log).not_to_contain_text("bye Ann")  # live: the run is still sleeping
    expect(log).to_contain_text("bye Ann", timeout=20_000)
    expect(run.get_by_role("heading", name=re.compile(r"^Run "))).to_contain_text("succeeded", timeout=20_000)
    expect(run.get_by_role("definition").filter(has_text="hi Ann")).to_be_visible()
    expect(run.get_by_role("cell", name="greet")).to_be_visible()
    ui.screenshot("runbook-editor", full_page=True)

    # The list shows it.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Runbooks").click()
    expect(page.get_by_role("link", name=name)).to_be_visible()


def test_an_in_app_channel_is_created_and_its_test_is_delivered(ui: BrowserPage) -> None:
    name = f"Ops inbox {uuid.uuid4().hex[:6]}"
    ui.sign_in()
    page = ui.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Notification channels").click()
    page.get_by_role("button", name="New channel").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("textbox", name="Name", exact=True).fill(name)
    dialog.get_by_label("Type").select_option("in_app")
    dialog.get_by_label("Add a user").fill("admin@acme")
    dialog.get_by_role("button", name=re.compile(rf"^Add .*\({re.escape(ADMIN_EMAIL)}\)")).click()
    expect(dialog.get_by_role("list", name="Recipients")).to_contain_text("User")
    dialog.get_by_role("button", name="Create channel").click()
    expect(page.get_by_role("status").filter(has_text=f"Channel {name} saved")).to_be_visible()

    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("1 user")
    row.get_by_role("button", name=f"Send test to {name}").click()
    result = page.get_by_role("status", name=f"Test of {name}")
    expect(result).to_contain_text("delivered")
    deliveries = page.get_by_role("region", name="Deliveries")
    expect(deliveries.get_by_role("row").filter(has_text=name).first).to_contain_text("sent")
    ui.screenshot("notification-channels")

    inbox = httpx.get(f"{ui.server.url}/api/notifications", headers=ui.server.admin_headers()).json()["items"]
    assert any("Test notification" in n["subject"] for n in inbox), inbox

    # Edited: renamed, same recipients.
    row.get_by_role("button", name=f"Edit {name}").click()
    dialog = page.get_by_role("dialog", name=f"Edit {name}")
    expect(dialog.get_by_label("Type")).to_be_disabled()
    name = f"{name} (renamed)"
    dialog.get_by_role("textbox", name="Name", exact=True).fill(name)
    dialog.get_by_role("button", name="Save channel").click()
    expect(page.get_by_role("status").filter(has_text=f"Channel {name} saved")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("1 user")

    row.get_by_role("button", name=f"Delete {name}").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status").filter(has_text=f"Channel {name} deleted")).to_be_visible()
    expect(
        page.get_by_role("table", name="Notification channels").get_by_role("row").filter(has_text=name)
    ).to_have_count(0)


def test_a_secret_is_created_and_only_its_name_is_shown(ui: BrowserPage) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    secret_name, value = f"DB_PASSWORD_{tag}", f"hunter2-{tag}-value"
    ui.sign_in()
    page = ui.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Secrets").click()
    page.get_by_role("button", name="New secret").click()
    dialog = page.get_by_role("dialog")
    # A lower-case name is refused by the API and said beside the field.
    dialog.get_by_role("textbox", name="Name", exact=True).fill("lower-case")
    dialog.get_by_role("textbox", name="Value", exact=True).fill(value)
    ui.console.expect_http_error(422, "/api/secrets")
    dialog.get_by_role("button", name="Create secret").click()
    expect(dialog.get_by_role("textbox", name="Name", exact=True)).to_have_attribute("aria-invalid", "true")
    dialog.get_by_role("textbox", name="Name", exact=True).fill(secret_name)
    dialog.get_by_role("button", name="Create secret").click()
    expect(page.get_by_role("status").filter(has_text=f"Secret {secret_name} created")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=secret_name)).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(value)
    assert value not in page.content()
    ui.screenshot("secrets")

    page.get_by_role("button", name=f"Replace the value of {secret_name}").click()
    dialog.get_by_role("textbox", name="New value").fill("another-value")
    dialog.get_by_role("button", name="Replace value").click()
    expect(page.get_by_role("status").filter(has_text=f"The value of {secret_name} was replaced")).to_be_visible()
    assert "another-value" not in page.content()


def test_an_automation_gate_is_approved_from_the_inbox_and_the_execution_goes_on(
    ui: BrowserPage, worker: subprocess.Popen[str]
) -> None:
    server = ui.server
    tag = uuid.uuid4().hex[:6]
    approver = f"gale-{tag}@acme.example.com"
    _post(
        server,
        "/api/users",
        {
            "email": approver,
            "display_name": f"Gale Gatekeeper {tag}",
            "password": PASSWORD,
            "roles": ["automation_engineer"],
        },
    )
    restart = _post(
        server,
        "/api/runbooks",
        {
            "name": f"Restart service {tag}",
            "parameters": {"type": "object", "properties": {"host": {"type": "string"}}},
            "actions": [
                {"name": "restart", "type": "shell", "script": 'echo "restarted=$TP_PARAM_HOST" > "$TP_OUTPUT"'}
            ],
        },
    )
    workflow_name = f"Restart with approval {tag}"
    workflow = _post(
        server,
        "/api/workflows",
        {
            "name": workflow_name,
            "inputs": {"type": "object", "properties": {"host": {"type": "string"}}, "required": ["host"]},
            "steps": [
                {
                    "id": "approve-restart",
                    "type": "approval",
                    "name": "Approve the restart",
                    "config": {
                        "approvers": [{"type": "role", "value": "automation_engineer"}],
                        "message": "Restart {{ inputs.host }}?",
                    },
                },
                {
                    "id": "restart",
                    "type": "runbook",
                    "name": "Restart",
                    "config": {"runbook_id": restart["id"], "parameters": {"host": "{{ inputs.host }}"}},
                },
            ],
        },
    )
    # The admin starts it; the approver is someone else (four-eyes).
    execution = _post(server, f"/api/workflows/{workflow['id']}/execute", {"inputs": {"host": "db-7"}})
    _wait_for(server, str(execution["id"]), {"waiting"} | FINISHED)

    ui.sign_in(approver, PASSWORD)
    page = ui.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Approvals").click()
    card = page.get_by_role("article").filter(has_text="Restart db-7?")
    expect(card).to_contain_text(workflow_name)
    expect(card).to_contain_text("approve-restart")
    expect(card).to_contain_text(f"Restart service {tag}")
    expect(card.get_by_role("list", name="Steps that run once approved")).to_contain_text("db-7")
    expect(card).to_contain_text("0 of 1 needed")
    ui.screenshot("inbox", full_page=True)

    # At 390 px the card fits the screen (no sideways scrolling).
    page.set_viewport_size({"width": 390, "height": 844})
    expect(card.get_by_role("button", name="Approve")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    ui.screenshot("inbox-phone", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})

    card.get_by_label("Comment").fill("Go ahead")
    card.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status").filter(has_text="Approved: Restart db-7?")).to_be_visible()
    expect(page.get_by_role("article").filter(has_text="Restart db-7?")).to_have_count(0)

    done = _wait_for(server, str(execution["id"]), FINISHED)
    assert done["status"] == "succeeded", done
    restart_step = next(s for s in done["steps"] if s.get("step_id") == "restart")
    assert restart_step["outputs"] == {"restarted": "db-7"}


def test_the_starter_of_an_execution_is_not_offered_its_gate(ui: BrowserPage, worker: subprocess.Popen[str]) -> None:
    """Four-eyes: the gate page shows why there are no buttons instead of offering a decision the API refuses."""
    server = ui.server
    tag = uuid.uuid4().hex[:6]
    starter = f"sam-{tag}@acme.example.com"
    _post(
        server,
        "/api/users",
        {
            "email": starter,
            "display_name": f"Sam Starter {tag}",
            "password": PASSWORD,
            "roles": ["automation_engineer"],
        },
    )
    workflow = _post(
        server,
        "/api/workflows",
        {
            "name": f"Self-started {tag}",
            "steps": [
                {
                    "id": "ok",
                    "type": "approval",
                    "config": {
                        "approvers": [{"type": "role", "value": "automation_engineer"}],
                        "message": f"Self {tag}?",
                    },
                },
                {"id": "later", "type": "delay", "config": {"seconds": 3600}},
            ],
        },
    )
    headers = bearer(server.url, server.tenant, starter, PASSWORD)
    execution = _post(server, f"/api/workflows/{workflow['id']}/execute", {}, headers=headers)
    gates: list[dict[str, Any]] = []
    deadline = time.monotonic() + 20
    while not gates:
        listed = httpx.get(f"{server.url}/api/automation/approvals", params={"status": "pending"}, headers=headers)
        gates = [g for g in listed.json()["items"] if g["execution_id"] == execution["id"]]
        assert gates or time.monotonic() < deadline, "the gate never opened"
        time.sleep(0.3)

    ui.sign_in(starter, PASSWORD)
    page = ui.page
    page.goto("/approvals")
    expect(page.get_by_text("Nothing to approve")).to_be_visible()
    page.goto(f"/approvals/gates/{gates[0]['id']}")
    card = page.get_by_role("article")
    expect(card).to_contain_text(f"Self {tag}?")
    expect(card.get_by_role("note")).to_contain_text("four-eyes")
    expect(card.get_by_role("button", name="Approve")).to_have_count(0)
    expect(card.get_by_role("button", name="Reject")).to_have_count(0)

    # An administrator sees every gate but is not an approver of this one: no buttons either, and why.
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in"))
    ui.sign_in()
    page.goto(f"/approvals/gates/{gates[0]['id']}")
    card = page.get_by_role("article")
    expect(card.get_by_role("note")).to_contain_text("not an approver")
    expect(card.get_by_role("button", name="Approve")).to_have_count(0)
    expect(card).to_contain_text("role automation_engineer")
