"""The ITSM benchmark's server, client and fixtures (bench.itsm): a real `tenantplane serve --no-worker` on a scratch
database, its first admin, a small authenticated HTTP client, and the catalog item, approvers and requests it runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench.api import _free_port

ROOT = Path(__file__).resolve().parents[1]


PASSWORD = "bench-password"


DOMAIN = "bench.example.com"


def log(message: str) -> None:
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"[{time.strftime('%H:%M:%S')} load {load}] {message}", flush=True)


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


class Api:
    """A started server and a keep-alive client per signed-in user."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(base_url=base, timeout=30)

    def token(self, email: str) -> str:
        response = self.http.post("/api/auth/token", json={"tenant": "bench", "email": email, "password": PASSWORD})
        response.raise_for_status()
        return str(response.json()["access_token"])

    def call(self, method: str, path: str, token: str, body: Any = None, expect: int | None = None) -> Any:
        response = self.http.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})
        if response.status_code >= 400 or (expect is not None and response.status_code != expect):
            raise RuntimeError(f"{method} {path} → {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else None


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    cli = [sys.executable, "-m", "tenantplane.cli"]
    proc = subprocess.Popen([*cli, "serve", "--no-worker", "--port", str(port)], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("server did not become ready")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def bootstrap(db_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "TENANTPLANE_DATABASE_URL": db_url,
        "TENANTPLANE_LOG_LEVEL": "WARNING",
        "TENANTPLANE_API_RATE_PER_SECOND": "0",  # one caller at full speed is the point here
        "TENANTPLANE_SECRET_KEY": "bench-secret-key-" + "x" * 32,
    }
    subprocess.run(
        [
            *[sys.executable, "-m", "tenantplane.cli", "bootstrap", "--tenant", "bench"],
            *["--admin-email", f"admin@{DOMAIN}", "--admin-password", PASSWORD],
        ],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    return env


def setup_fixtures(api: Api, admin: str) -> dict[str, Any]:
    """Users (manager, requester, 5 CAB members), the 2-step definition and a catalog item using it."""

    def user(name: str, **extra: Any) -> str:
        body = {"email": f"{name}@{DOMAIN}", "display_name": name.title(), "password": PASSWORD, **extra}
        return str(api.call("POST", "/api/users", admin, body, expect=201)["id"])

    manager_id = user("manager")
    requester_id = user("requester", manager_id=manager_id)
    cab_ids = [user(f"cab{i}", roles=["cab"]) for i in range(1, 6)]
    definition = api.call(
        "POST",
        "/api/workflows/definitions",
        admin,
        {
            "name": "Manager then CAB",
            "steps": [
                {"name": "manager", "order": 1, "approver_type": "manager"},
                {"name": "cab", "order": 2, "approver_type": "role", "approver_value": "cab"},
            ],
        },
        expect=201,
    )
    item = api.call(
        "POST",
        "/api/itsm/catalog",
        admin,
        {
            "name": "Laptop",
            "description": "A new laptop",
            "category": "Hardware",
            "variables": [
                {"name": "model", "type": "string", "required": True},
                {"name": "reason", "type": "string"},
            ],
            "workflow_definition_id": definition["id"],
        },
        expect=201,
    )
    return {
        "manager_id": manager_id,
        "requester_id": requester_id,
        "cab_ids": cab_ids,
        "definition_id": definition["id"],
        "item_id": item["id"],
        "tokens": {
            "requester": api.token(f"requester@{DOMAIN}"),
            "manager": api.token(f"manager@{DOMAIN}"),
            "cab": api.token(f"cab1@{DOMAIN}"),
        },
    }


def request_body(fx: dict[str, Any]) -> dict[str, Any]:
    return {
        "catalog_item_id": fx["item_id"],
        "variables": {"model": "ThinkPad X1", "reason": "my old one is slow"},
        "justification": "bench",
    }


def submit(api: Api, fx: dict[str, Any]) -> str:
    detail = api.call("POST", "/api/itsm/requests", fx["tokens"]["requester"], request_body(fx), expect=201)
    return str(detail["approval_instance_id"])
