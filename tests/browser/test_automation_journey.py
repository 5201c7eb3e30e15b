"""Automation journey in Chromium against a real server and a real worker process: an engineer draws a workflow on
the canvas (runbook → condition → (true) approval gate → runbook, (false) notification), live validation flags the
missing `false` edge until it is drawn, saves, runs it; an approver (no engineer) approves the gate in the inbox;
the execution view shows every step's final status.

Users, runbooks and the notification channel are set up through the API. Screenshots: workflow-builder.png and
execution-view.png in test-artifacts/screenshots.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserPage, LiveServer, bearer

pytestmark = pytest.mark.browser

PASSWORD = "automation-password-1"


@dataclass
class Cast:
    engineer: str
    approver: str
    approver_name: str
    build_runbook: str
    deploy_runbook: str
    channel: str
    tag: str


def _post(server: LiveServer, path: str, body: dict[str, object]) -> dict[str, object]:
    response = httpx.post(f"{server.url}{path}", json=body, headers=server.admin_headers())
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


@pytest.fixture
def cast(live_server: LiveServer) -> Cast:
    tag = uuid.uuid4().hex[:6]
    engineer = f"erin-{tag}@acme.example.com"
    approver = f"abe-{tag}@acme.example.com"
    roles = ["automation_engineer"]
    engineer_id = _post(
        live_server,
        "/api/users",
        {"email": engineer, "display_name": f"Erin Engineer {tag}", "password": PASSWORD, "roles": roles},
    )["id"]
    approver_name = f"Abe Approver {tag}"
    _post(
        live_server,
        "/api/users",
        {"email": approver, "display_name": approver_name, "password": PASSWORD, "roles": ["requester"]},
    )
    runbooks = [
        _post(
            live_server,
            "/api/runbooks",
            {"name": f"{name} {tag}", "actions": [{"name": "say", "type": "shell", "script": f"echo {name.lower()}"}]},
        )["id"]
        for name in ("Build", "Deploy")
    ]
    channel = f"ops-{tag}"
    _post(
        live_server,
        "/api/notifications/channels",
        {"name": channel, "type": "in_app", "config": {"users": [engineer_id]}},
    )
    return Cast(engineer, approver, approver_name, str(runbooks[0]), str(runbooks[1]), channel, tag)


def _add_step(page: Page, kind: str, step_id: str) -> None:
    page.get_by_role("toolbar", name="Add a step").get_by_role("button", name=f"+ {kind}").click()
    step_field = page.get_by_role("complementary", name="Selection").get_by_label("Step id")
    step_field.fill(step_id)


def _drag_edge(page: Page, source: str, target: str) -> None:
    handle = page.locator(f'.react-flow__node[data-id="{source}"] .react-flow__handle.source')
    handle.hover()  # waits until the canvas stopped moving
    start = handle.bounding_box()
    end = page.locator(f'.react-flow__node[data-id="{target}"] .react-flow__handle.target').bounding_box()
    assert start is not None
    assert end is not None
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=12)
    page.mouse.up()
    expect(page.get_by_role("heading", name=re.compile(r"^Edge "))).to_be_visible()


def _connect_from_panel(page: Page, source: str, target_step: str, condition: str) -> None:
    page.locator(f'.react-flow__node[data-id="{source}"]').click()
    panel = page.get_by_role("complementary", name="Selection")
    panel.get_by_label("Add an edge from this step to").select_option(label=target_step)
    panel.get_by_role("button", name="Add edge").click()
    panel.get_by_label("Taken when").select_option(condition)


def _sign_in_as(ui: BrowserPage, email: str) -> None:
    banner = ui.page.get_by_role("banner")
    if banner.get_by_role("button", name="Sign out").count():
        banner.get_by_role("button", name="Sign out").click()
        expect(ui.page).to_have_url(re.compile(r"/sign-in"))
    ui.sign_in(email, PASSWORD)


def test_an_engineer_draws_saves_and_runs_a_workflow_and_an_approver_approves_its_gate_in_the_inbox(
    ui: BrowserPage, cast: Cast, worker: subprocess.Popen[bytes]
) -> None:
    page = ui.page
    _sign_in_as(ui, cast.engineer)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workflows").click()
    page.get_by_role("link", name="New workflow").first.click()
    expect(page.get_by_role("heading", name="New workflow")).to_be_visible()

    page.get_by_label(re.compile(r"^Name")).fill(f"Deploy with CAB {cast.tag}")
    page.get_by_label("Inputs (JSON Schema)").fill(
        '{"type": "object", "properties": {"env": {"type": "string", "enum": ["dev", "prod"]}}, "required": ["env"]}'
    )
    side = page.get_by_role("complementary", name="Selection")

    _add_step(page, "Runbook", "build")
    side.get_by_label("Runbook", exact=True).select_option(label=f"Build {cast.tag}")
    _add_step(page, "Condition", "check")
    side.get_by_label(re.compile(r"^Expression")).fill("inputs.env == 'prod'")
    _drag_edge(page, "n1", "n2")  # drawn on the canvas: build → check

    _add_step(page, "Approval gate", "gate")
    side.get_by_role("button", name="Add approver").click()
    side.get_by_label("Approver 1: find a user").fill(cast.approver)
    side.get_by_role("button", name=re.compile(rf"Select {cast.approver_name}")).click()
    _add_step(page, "Runbook", "deploy")
    side.get_by_label("Runbook", exact=True).select_option(label=f"Deploy {cast.tag}")
    _drag_edge(page, "n3", "n4")  # gate → deploy (taken when the gate is approved)
    _add_step(page, "Notification", "tell")
    side.get_by_label("Channel", exact=True).select_option(value=cast.channel)
    side.get_by_label("Subject (template)").fill("Not deployed: {{ inputs.env }}")

    _connect_from_panel(page, "n2", "gate", "true")

    # The condition has no `false` edge yet: the problem shows on its node and in the problems list.
    problems = page.locator(".builder-problems")
    expect(
        problems.get_by_text(re.compile(r"needs an outgoing 'true' and 'false' edge; missing: false"))
    ).to_be_visible()
    expect(page.locator('.react-flow__node[data-id="n2"] .step-node')).to_have_class(re.compile("step-node--invalid"))
    expect(page.locator(".step-node--invalid")).to_have_count(1)

    _connect_from_panel(page, "n2", "tell", "false")
    expect(page.get_by_text("none: the workflow is valid")).to_be_visible()
    expect(page.locator(".step-node--invalid")).to_have_count(0)
    page.get_by_role("button", name="Tidy layout").click()
    page.locator(".react-flow__pane").click(position={"x": 5, "y": 5})  # nothing selected: the canvas as a whole
    ui.screenshot("workflow-builder")

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved as version 1.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/workflows/[0-9a-f-]{36}$"))

    page.get_by_role("button", name="Run", exact=True).click()
    run = page.get_by_role("dialog")
    run.get_by_label("env", exact=True).select_option("prod")
    run.get_by_role("button", name="Start").click()
    expect(page).to_have_url(re.compile(r"/executions/[0-9a-f-]{36}$"))
    execution_url = page.url

    # The worker runs build and check, then the gate waits; the engineer who started it may not approve it.
    steps = page.get_by_role("table", name="Steps")
    expect(page.locator(".execution-facts").get_by_text("waiting")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("note").filter(has_text="You started this execution")).to_contain_text("four-eyes")
    expect(steps.locator('tr[data-step-id="build"]')).to_contain_text("succeeded")

    # The approver finds the gate in the approvals inbox, sees what it lets run, and approves it there.
    _sign_in_as(ui, cast.approver)
    expect(page.get_by_role("region", name="My approvals")).to_contain_text("1")  # the gate counts on the dashboard
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Approvals").click()
    card = page.get_by_role("article").filter(has_text=f"Deploy with CAB {cast.tag}")
    expect(card).to_contain_text("gate")
    expect(card.get_by_role("list", name="Steps that run once approved")).to_contain_text(f"Deploy {cast.tag}")
    card.get_by_label("Comment").fill("Go ahead")
    card.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("article").filter(has_text=f"Deploy with CAB {cast.tag}")).to_have_count(0)
    _sign_in_as(ui, cast.engineer)  # the approver is no engineer: the execution view is the engineer's
    page.goto(execution_url)

    expect(page.locator(".execution-facts").get_by_text("succeeded")).to_be_visible(timeout=60_000)
    expected = {
        "build": "succeeded",
        "check": "succeeded",
        "gate": "approved",
        "deploy": "succeeded",
        "tell": "skipped",
    }
    for step_id, status in expected.items():
        expect(steps.locator(f'tr[data-step-id="{step_id}"]')).to_contain_text(status)
        expect(page.locator(f'.step-node[data-step-id="{step_id}"]')).to_have_attribute("data-status", status)
    steps.get_by_role("button", name="Details of step deploy").click()
    details = page.get_by_role("complementary", name="Step details")
    expect(details.get_by_role("heading", name="Step deploy")).to_be_visible()
    expect(details).to_contain_text("succeeded")
    expect(details.get_by_label("Log of step deploy")).to_contain_text("deploy")  # the runbook run's own log
    page.evaluate("window.scrollTo(0, 0)")
    ui.screenshot("execution-view", full_page=True)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Executions").click()
    page.get_by_label("Status").select_option("succeeded")
    listed = (
        page.get_by_role("table", name="Executions").get_by_role("row").filter(has_text=f"Deploy with CAB {cast.tag}")
    )
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("succeeded")
    expect(listed).to_contain_text(f"Erin Engineer {cast.tag}")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    recent = page.get_by_role("region", name="Recent executions")
    expect(recent.get_by_role("listitem").filter(has_text=f"Deploy with CAB {cast.tag}")).to_contain_text("succeeded")


def test_the_builder_works_from_the_keyboard_and_shows_problems_beside_their_fields(
    ui: BrowserPage, cast: Cast
) -> None:
    page = ui.page
    _sign_in_as(ui, cast.engineer)
    page.goto("/workflows/new")
    toolbar = page.get_by_role("toolbar", name="Add a step")
    side = page.get_by_role("complementary", name="Selection")

    toolbar.get_by_role("button", name="+ Condition").focus()
    page.keyboard.press("Enter")
    side.get_by_label(re.compile(r"^Expression")).fill("inputs.env ==")
    toolbar.get_by_role("button", name="+ Delay").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".react-flow__node")).to_have_count(2)

    # A broken expression: its message sits beside the Expression field and on the node.
    page.locator('.react-flow__node[data-id="n1"]').focus()
    page.keyboard.press("Enter")
    expression = side.get_by_label(re.compile(r"^Expression"))
    expect(expression).to_have_attribute("aria-invalid", "true")
    expect(page.locator('.react-flow__node[data-id="n1"] .step-node')).to_have_class(re.compile("step-node--invalid"))

    # An edge from the panel, then removed with the Delete key once focused on the canvas.
    side.get_by_label("Add an edge from this step to").select_option(label="delay-1")
    side.get_by_role("button", name="Add edge").press("Enter")
    expect(page.locator(".react-flow__edge")).to_have_count(1)
    page.locator(".react-flow__edge").focus()
    page.keyboard.press("Enter")
    expect(side.get_by_role("heading", name="Edge condition-1 → delay-1")).to_be_visible()
    page.locator(".react-flow__edge").focus()
    page.keyboard.press("Delete")
    expect(page.locator(".react-flow__edge")).to_have_count(0)

    # A step removed with the panel's button; the canvas page fits a 1280x800 screen without sideways scrolling.
    page.locator('.react-flow__node[data-id="n2"]').focus()
    page.keyboard.press("Enter")
    side.get_by_role("button", name="Delete step").click()
    expect(page.locator(".react-flow__node")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280

    # Unsaved work is not lost to a stray click on the navigation.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workflows").click()
    leave = page.get_by_role("dialog", name="Leave without saving?")
    leave.get_by_role("button", name="Stay").click()
    expect(page).to_have_url(re.compile(r"/workflows/new$"))
    expect(page.locator(".react-flow__node")).to_have_count(1)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workflows").click()
    leave.get_by_role("button", name="Leave").click()
    expect(page.get_by_role("heading", name="Automation workflows")).to_be_visible()


def _as_engineer(server: LiveServer, cast: Cast, path: str, body: dict[str, object]) -> dict[str, object]:
    headers = bearer(server.url, server.tenant, cast.engineer, PASSWORD)
    response = httpx.post(f"{server.url}{path}", json=body, headers=headers)
    assert response.status_code in (201, 202), response.text
    result: dict[str, object] = response.json()
    return result


def test_the_execution_view_offers_retry_on_a_failed_run_and_cancel_on_a_waiting_one(
    ui: BrowserPage, cast: Cast, live_server: LiveServer, worker: subprocess.Popen[bytes]
) -> None:
    page = ui.page
    failing = _post(
        live_server,
        "/api/runbooks",
        {"name": f"Fail {cast.tag}", "actions": [{"name": "fail", "type": "shell", "script": "echo broken; exit 3"}]},
    )
    flaky = _as_engineer(
        live_server,
        cast,
        "/api/workflows",
        {
            "name": f"Flaky {cast.tag}",
            "steps": [{"id": "fail", "type": "runbook", "config": {"runbook_id": failing["id"]}}],
        },
    )
    slow = _as_engineer(
        live_server,
        cast,
        "/api/workflows",
        {"name": f"Slow {cast.tag}", "steps": [{"id": "pause", "type": "delay", "config": {"seconds": 3600}}]},
    )
    failed_run = _as_engineer(live_server, cast, f"/api/workflows/{flaky['id']}/execute", {"inputs": {}})
    waiting_run = _as_engineer(live_server, cast, f"/api/workflows/{slow['id']}/execute", {"inputs": {}})
    _sign_in_as(ui, cast.engineer)
    status = page.locator(".execution-facts").first.get_by_role("status")

    page.goto(f"/executions/{failed_run['id']}")
    expect(status).to_have_text("failed", timeout=60_000)
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    page.get_by_role("table", name="Steps").get_by_role("button", name="Details of step fail").click()
    expect(page.get_by_role("link", name="Open the runbook execution")).to_be_visible()
    page.get_by_role("button", name="Retry").click()
    expect(page.get_by_text("Retrying from the failed steps.")).to_be_visible()
    attempts = page.locator('tr[data-step-id="fail"] td[data-label="Attempts"]')
    expect(attempts).to_have_text("2", timeout=60_000)  # the step ran again (and failed again)
    expect(status).to_have_text("failed", timeout=60_000)

    page.goto(f"/executions/{waiting_run['id']}")
    expect(page.locator('.step-node[data-step-id="pause"]')).to_have_attribute(
        "data-status", re.compile("running|waiting"), timeout=60_000
    )
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)
    page.get_by_role("button", name="Cancel").click()
    expect(status).to_have_text("cancelled", timeout=30_000)
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
