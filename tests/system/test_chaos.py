"""Chaos: two `serve --no-worker` processes and three `worker` processes on a PostgreSQL cluster of the test's own,
under a steady load of service requests (a two-step approval ladder, runbook fulfillment) and gated workflows
(runbooks, an approval gate, a delay) plus a schedule trigger, while the test restarts PostgreSQL (`fast`, later
`immediate`), SIGKILLs a worker and an API process, and SIGSTOPs a worker for longer than its job lease.

Once the load stops and everything due has run, the invariants are read in SQL (tests/support/chaos_checks.py):
each decided request and each workflow ended as its decisions imply, nothing ran twice or was lost, each due
schedule time fired once, each mutation has its audit event; and no client ever saw a 5xx other than 503, and no
process needed a restart other than the ones the test killed. `TENANTPLANE_CHAOS_SECONDS` sets the load phase (60).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import IO, Any

import httpx
import psycopg
import pytest

from tests.conftest import RUNBOOK_EXPOSED_PATHS
from tests.support.chaos_checks import check_all, silent_workers, unsettled
from tests.support.chaos_driver import Cast, Driver
from tests.support.pgcluster import ScratchCluster, _free_port

pytestmark = pytest.mark.system
ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 5
PASSWORD = "chaos-password-123"
SETTLE_SECONDS = 120


class Fleet:
    """The API and worker processes, each in a session of its own (a SIGKILL takes its scripts with it)."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.files: list[IO[bytes]] = []

    def start(self, name: str, *argv: str) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        self.files.append(log)
        command = [sys.executable, "-m", "tenantplane.cli", *argv]
        self.procs[name] = subprocess.Popen(
            command, env=self.env, cwd=ROOT, stdout=log, stderr=log, start_new_session=True
        )

    def signal(self, name: str, signum: signal.Signals) -> None:
        os.killpg(self.procs[name].pid, signum)
        if signum == signal.SIGKILL:
            self.procs[name].wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGCONT)
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        for log in self.files:
            log.close()

    def tracebacks(self) -> dict[str, int]:
        return {p.stem: p.read_text(errors="replace").count("Traceback") for p in sorted(self.logs.glob("*.log"))}


def _cli(env: dict[str, str], *argv: str) -> None:
    subprocess.run([sys.executable, "-m", "tenantplane.cli", *argv], env=env, cwd=ROOT, check=True, capture_output=True)


def _wait(check: Callable[[], Any], what: str, timeout: float) -> Any:
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except httpx.TransportError as error:
            last = error
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def _ready(port: int) -> bool:
    return httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200


def _post(http: httpx.Client, path: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (200, 201), (path, response.status_code, response.text)
    created: dict[str, Any] = response.json()
    return created


def _sign_in(http: httpx.Client, email: str, password: str) -> str:
    response = http.post("/api/auth/token", json={"tenant": "chaos", "email": email, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _step(step_id: str, step_type: str, **config: Any) -> dict[str, Any]:
    return {"id": step_id, "type": step_type, "name": step_id, "config": config}


def _setup(http: httpx.Client) -> tuple[Cast, str]:
    """People, runbooks, the ladder, the catalog item, the gated workflow and the schedule; the cast and trigger."""
    admin = _sign_in(http, "admin@chaos.example.com", PASSWORD)
    tokens: dict[str, str] = {}
    people: dict[str, str] = {}
    cast_list: list[tuple[str, list[str], str | None]] = [
        ("manager", [], None),
        ("cab", ["cab"], None),
        ("dba", ["dba"], None),
        ("requester", [], "manager"),
    ]
    for name, roles, manager in cast_list:
        email = f"{name}@chaos.example.com"
        body: dict[str, Any] = {"email": email, "display_name": name, "roles": roles, "password": PASSWORD}
        if manager:
            body["manager_id"] = people[manager]
        people[name] = _post(http, "/api/users", admin, body)["id"]
        tokens[name] = _sign_in(http, email, PASSWORD)
    echo = {"name": "chaos-echo", "actions": [{"name": "say", "type": "echo", "values": {"a": "b"}}]}
    shell = {"name": "chaos-true", "actions": [{"name": "run", "type": "shell", "script": "true"}]}
    echo_id = _post(http, "/api/runbooks", admin, echo)["id"]
    true_id = _post(http, "/api/runbooks", admin, shell)["id"]
    ladder = [
        {"name": "manager", "order": 1, "approver_type": "manager"},
        {"name": "cab", "order": 2, "approver_type": "role", "approver_value": "cab"},
    ]
    definition = _post(http, "/api/workflows/definitions", admin, {"name": "laptop ladder", "steps": ladder})["id"]
    item = {
        "name": "Chaos laptop",
        "category": "Hardware",
        "workflow_definition_id": definition,
        "fulfillment_type": "runbook",
        "fulfillment_config": {"runbook_id": true_id},
    }
    item_id = _post(http, "/api/itsm/catalog", admin, item)["id"]
    steps = [
        _step("say", "runbook", runbook_id=echo_id),
        _step("check", "runbook", runbook_id=true_id),
        _step("sign-off", "approval", approvers=[{"type": "role", "value": "dba"}]),
        _step("pause", "delay", seconds=1),
        _step("done", "runbook", runbook_id=echo_id),
    ]
    workflow_id = _post(http, "/api/workflows", admin, {"name": "chaos gated", "steps": steps})["id"]
    tick = _post(
        http, "/api/workflows", admin, {"name": "chaos tick", "steps": [_step("t", "runbook", runbook_id=true_id)]}
    )
    trigger = _post(
        http, f"/api/workflows/{tick['id']}/triggers", admin, {"kind": "schedule", "config": {"cron": "* * * * *"}}
    )
    cast = Cast(admin, tokens["requester"], tokens["manager"], tokens["cab"], tokens["dba"], item_id, workflow_id)
    return cast, str(trigger["id"])


def _faults(cluster: ScratchCluster, fleet: Fleet, ports: list[int], seconds: float) -> list[tuple[float, str, Any]]:
    """The fault plan: (offset in the load phase, what, how), spaced over `seconds`."""

    def restart_db(mode: str) -> Callable[[], None]:
        def run() -> None:
            cluster.stop(mode)
            time.sleep(3)
            cluster.start()

        return run

    def kill_worker() -> None:
        fleet.signal("worker-0", signal.SIGKILL)
        fleet.start("worker-3", "worker", "--concurrency", "4")

    def kill_api() -> None:
        fleet.signal("api-0", signal.SIGKILL)
        time.sleep(2)
        fleet.start("api-0b", "serve", "--no-worker", "--port", str(ports[0]))

    stop_at = seconds * 0.40
    return [
        (seconds * 0.10, "PostgreSQL restarted (fast shutdown, 3 s down)", restart_db("fast")),
        (seconds * 0.25, "worker-0 SIGKILLed (worker-3 started in its place)", kill_worker),
        (
            stop_at,
            f"worker-1 SIGSTOPped ({LEASE_SECONDS * 2.5:.1f} s, lease {LEASE_SECONDS} s)",
            lambda: fleet.signal("worker-1", signal.SIGSTOP),
        ),
        (seconds * 0.55, "api-0 SIGKILLed (restarted on its port 2 s later)", kill_api),
        (stop_at + LEASE_SECONDS * 2.5, "worker-1 SIGCONTed", lambda: fleet.signal("worker-1", signal.SIGCONT)),
        (seconds * 0.75, "PostgreSQL restarted (immediate shutdown, 3 s down)", restart_db("immediate")),
    ]


def _db_now(url: str) -> datetime:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT now()").fetchone()[0]  # type: ignore[index,no-any-return]


def test_chaos(cluster: ScratchCluster, tmp_path: Path) -> None:
    began = time.monotonic()
    seconds = float(os.environ.get("TENANTPLANE_CHAOS_SECONDS", "60"))
    url = cluster.create_database("tenantplane")
    env = {
        **os.environ,
        "TENANTPLANE_DATABASE_URL": url,
        "TENANTPLANE_SECRET_KEY": "chaos-secret-key-" + "x" * 32,
        "TENANTPLANE_DATA_DIR": str(tmp_path / "data"),
        "TENANTPLANE_LOG_LEVEL": "WARNING",
        "TENANTPLANE_API_RATE_PER_SECOND": "0",
        "TENANTPLANE_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "TENANTPLANE_RUNBOOK_EXPOSED_PATHS": RUNBOOK_EXPOSED_PATHS,
    }
    _cli(env, "migrate")
    _cli(
        env, "bootstrap", "--tenant", "chaos", "--admin-email", "admin@chaos.example.com", "--admin-password", PASSWORD
    )
    ports = [_free_port(), _free_port()]
    fleet = Fleet(env, tmp_path)
    fleet.start("api-0", "serve", "--no-worker", "--port", str(ports[0]))
    fleet.start("api-1", "serve", "--no-worker", "--port", str(ports[1]))
    for n in range(3):
        fleet.start(f"worker-{n}", "worker", "--concurrency", "4")
    driver: Driver | None = None
    injected: list[str] = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{ports[0]}", timeout=15) as http:
            for port in ports:
                _wait(partial(_ready, port), "readiness", 60)
            cast, trigger_id = _setup(http)
        driver = Driver(ports, cast)
        driver.start()
        load_began = time.monotonic()
        for offset, what, run in _faults(cluster, fleet, ports, seconds):
            time.sleep(max(0.0, load_began + offset - time.monotonic()))
            run()
            injected.append(f"t+{time.monotonic() - load_began:5.1f}s {what}")
        time.sleep(max(0.0, load_began + seconds - time.monotonic()))
        driver.stop_load()
        load_ended = _db_now(url)
        _wait(lambda: unsettled(url) is None or None, "the system to settle", SETTLE_SECONDS)
        driver.stop()
        survivors = {n: p for n, p in fleet.procs.items() if n not in ("worker-0", "api-0")}
        alive = {name: proc.poll() is None for name, proc in survivors.items()}
        # Alive is not enough: each worker heartbeats again and each API process is ready, with nobody's help.
        workers = {p.pid: n for n, p in survivors.items() if n.startswith("worker")}
        _wait(lambda: not silent_workers(url, workers, load_ended), "every worker to heartbeat", 30)
        for port in ports:
            assert _ready(port), port
        found = check_all(url, trigger_id, load_ended)
    finally:
        if driver is not None:
            driver.load_stop.set()
            driver.gate_stop.set()
        fleet.stop_all()
    tally = driver.tally
    lines = ["", "=== chaos summary ===", f"load phase {seconds:.0f} s, wall time {time.monotonic() - began:.0f} s"]
    lines += ["faults injected:", *(f"  {f}" for f in injected)]
    lines += ["operations driven:", *(f"  {k}: {v}" for k, v in sorted(tally.operations.items()))]
    lines.append(
        f"HTTP statuses seen: {dict(sorted(tally.statuses.items()))}, connection errors: {dict(tally.transport_errors)}"
    )
    lines.append(f"slowest call (retries included): {tally.slowest:.1f} s")
    lines.append(f"5xx other than 503: {sum(n for s, n in tally.server_errors().items() if s != 503)}")
    lines += [f"invariants checked ({len(found.checked)}):", *(f"  {c}" for c in found.checked)]
    lines += ["counts:", *(f"  {k}: {v}" for k, v in sorted(found.counts.items()))]
    lines.append(f"processes still alive (never restarted): {alive}")
    lines.append(f"tracebacks logged per process: {fleet.tracebacks()}")
    lines += ["violations:", *(f"  {v}" for v in found.violations or ["none"])]
    lines += ["unexpected answers:", *(f"  {u}" for u in tally.unexpected[:10] or ["none"])]
    print("\n".join(lines))
    assert not found.violations, found.violations
    assert all(alive.values()), alive
    assert not [s for s in tally.server_errors() if s != 503], tally.server_errors()
    assert not tally.unexpected, tally.unexpected[:10]
