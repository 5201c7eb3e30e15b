"""The seed page's use cases, as shipped in `examples/`, on a real `tenantplane serve` process with its worker:
applied with `tenantplane apply`, then driven over HTTP by the demo users (PRODUCT.md §6, §10).

Incident remediation, guard-railed automation (approve and reject, four-eyes), the maintenance window and
provision-after-approve (an ITSM approval, then workflow fulfillment) each run to their end here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live_server import bearer, serving, truncate_all

pytestmark = pytest.mark.system
ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "tenantplane.cli"]
TENANT = "demo"
ADMIN = ("admin@demo.example.com", "demo-admin-password")
SRE = ("sre@demo.example.com", "demo-sre-1")
REQUESTER = ("requester@demo.example.com", "demo-requester-1")
MANAGER = ("manager@demo.example.com", "demo-manager-1")
FINISHED = {"succeeded", "failed", "rejected", "cancelled", "timed_out"}


@dataclass
class Demo:
    url: str

    def as_(self, who: tuple[str, str]) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=bearer(self.url, TENANT, *who), timeout=30)


@pytest.fixture(scope="module")
def demo(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    truncate_all(database_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTPLANE_")}
    env |= {
        "TENANTPLANE_DATABASE_URL": database_url,
        "TENANTPLANE_SECRET_KEY": "examples-live-secret-" + "x" * 32,
        "TENANTPLANE_DATA_DIR": str(tmp_path_factory.mktemp("examples-data")),
        "TENANTPLANE_LOG_LEVEL": "WARNING",
    }

    def cli(*args: str) -> None:
        done = subprocess.run(
            [*CLI, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr

    cli("bootstrap", "--tenant", TENANT, "--admin-email", ADMIN[0], "--admin-password", ADMIN[1])
    cli("apply", "-f", str(ROOT / "examples"), "--tenant", TENANT, "--yes")
    try:
        with serving(env, worker=True) as url:  # with its worker: nothing here runs a job in the test process
            yield Demo(url)
    finally:
        truncate_all(database_url)


def _until(check: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _workflow(client: httpx.Client, name: str) -> str:
    listed = client.get("/api/workflows", params={"limit": 100})
    assert listed.status_code == 200, listed.text
    return next(w["id"] for w in listed.json()["items"] if w["name"] == name)


def _execute(client: httpx.Client, name: str, inputs: dict[str, Any] | None = None) -> str:
    started = client.post(f"/api/workflows/{_workflow(client, name)}/execute", json={"inputs": inputs or {}})
    assert started.status_code == 202, started.text
    return str(started.json()["id"])


def _execution(client: httpx.Client, execution_id: str) -> dict[str, Any]:
    answer = client.get(f"/api/executions/{execution_id}")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _finished(client: httpx.Client, execution_id: str, timeout: float = 30) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        execution = _execution(client, execution_id)
        return execution if execution["status"] in FINISHED else None

    finished: dict[str, Any] = _until(done, f"execution {execution_id} to finish", timeout)
    return finished


def _steps(execution: dict[str, Any]) -> dict[str, str]:
    return {s["step_id"]: s["status"] for s in execution["steps"]}


def _inbox_item(client: httpx.Client, kind: str, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        items = client.get("/api/approvals/inbox").json()["items"]
        return next((i for i in items if i["kind"] == kind and match(i)), None)

    item: dict[str, Any] = _until(find, f"a {kind} item in the inbox")
    return item


def test_incident_remediation_diagnoses_then_notifies_on_call(demo: Demo) -> None:
    with demo.as_(SRE) as sre:
        done = _finished(sre, _execute(sre, "Incident remediation"))
    assert done["status"] == "succeeded", [(s["step_id"], s["status"], s.get("reason")) for s in done["steps"]]
    assert _steps(done) == {
        "diagnose": "succeeded",
        "healthy": "succeeded",
        "notify": "succeeded",
        "escalate": "skipped",
    }


def test_guard_railed_purge_runs_only_after_an_sre_approves(demo: Demo) -> None:
    with demo.as_(ADMIN) as admin, demo.as_(SRE) as sre:
        execution = _execute(admin, "Guard-railed purge")
        gate = _inbox_item(sre, "automation", lambda i: i["what"]["execution_id"] == execution)
        assert _steps(_execution(admin, execution))["purge"] == "pending"
        decided = sre.post(f"/api/automation/approvals/{gate['id']}/approve", json={"comment": "snapshot checked"})
        assert decided.status_code == 200, decided.text
        done = _finished(admin, execution)
    assert done["status"] == "succeeded", done
    assert _steps(done) == {"snapshot": "succeeded", "confirm": "approved", "purge": "succeeded"}


def test_guard_railed_purge_rejected_never_purges_and_its_starter_may_not_decide(demo: Demo) -> None:
    with demo.as_(SRE) as sre, demo.as_(ADMIN) as admin:
        own = _execute(sre, "Guard-railed purge")
        _until(lambda: _steps(_execution(sre, own))["confirm"] == "waiting", "the gate to open")
        gate = next(g for g in admin.get("/api/automation/approvals").json()["items"] if g["execution_id"] == own)
        refused = sre.post(f"/api/automation/approvals/{gate['id']}/approve", json={})
        assert refused.status_code == 403, refused.text  # four-eyes: SRE started it, SRE may not approve it
        execution = _execute(admin, "Guard-railed purge")
        gate = _inbox_item(sre, "automation", lambda i: i["what"]["execution_id"] == execution)
        rejected = sre.post(f"/api/automation/approvals/{gate['id']}/reject", json={"comment": "not today"})
        assert rejected.status_code == 200, rejected.text
        done = _finished(admin, execution)
        admin.post(f"/api/executions/{own}/cancel")
    assert done["status"] == "rejected", done
    assert _steps(done) == {"snapshot": "succeeded", "confirm": "rejected", "purge": "skipped"}


def test_the_maintenance_window_waits_for_its_start_then_patches_and_reports(demo: Demo) -> None:
    start = datetime.now(UTC) + timedelta(seconds=3)
    with demo.as_(SRE) as sre:
        execution = _execute(sre, "Maintenance window", {"window_start": start.isoformat()})
        assert _steps(_execution(sre, execution))["patch"] == "pending"
        done = _finished(sre, execution)
    assert done["status"] == "succeeded", done
    assert _steps(done) == {"wait": "succeeded", "patch": "succeeded", "done": "succeeded"}
    patched = next(s for s in done["steps"] if s["step_id"] == "patch")
    assert datetime.fromisoformat(patched["started_at"]) >= start


def test_a_new_hire_is_provisioned_by_the_workflow_after_the_manager_approves(demo: Demo) -> None:
    with demo.as_(REQUESTER) as requester, demo.as_(MANAGER) as manager:
        items = requester.get("/api/itsm/catalog", params={"limit": 100}).json()["items"]
        onboarding = next(i["id"] for i in items if i["name"] == "New hire onboarding")
        submitted = requester.post("/api/itsm/requests", json={"catalog_item_id": onboarding, "variables": {}})
        assert submitted.status_code == 201, submitted.text
        request = submitted.json()
        step = _inbox_item(manager, "itsm", lambda i: i["what"]["record_id"] == request["id"])
        approved = manager.post(f"/api/workflows/instances/{step['id']}/approve", json={"comment": "welcome"})
        assert approved.status_code == 200, approved.text

        def fulfilled() -> dict[str, Any] | None:
            current: dict[str, Any] = requester.get(f"/api/itsm/requests/{request['id']}").json()
            return current if current["status"] in ("fulfilled", "fulfillment_failed") else None

        final = _until(fulfilled, "the request to be fulfilled", 45)
    assert final["status"] == "fulfilled", final
