"""A tenant's automation engineer (not an admin) tries to reach the platform from a runbook script.

A real `tenantplane serve` with its worker and the embedded PostgreSQL on a fresh data directory, driven over
HTTP: a python and a shell runbook try to become root, read the data directory and its `secret_key`, connect to
the database (its socket and 127.0.0.1:5432), reach the API and a listener on loopback, read the worker's
environment through /proc, write outside their work directory, and leave files for the next run. Every attempt
must fail, and the run's own log must say so: each attempt prints `BLOCKED <what>: <why>` or `ESCAPED <what>`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live_server import bearer, serving

pytestmark = pytest.mark.system
ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "tenantplane.cli"]
TENANT = "escape"
ADMIN = ("admin@escape.example.com", "escape-admin-password")
ENGINEER = ("engineer@escape.example.com", "escape-engineer-password")
WORKER_MARKER = "tp-worker-environment-" + uuid.uuid4().hex
FINISHED = {"succeeded", "failed", "cancelled", "timed_out"}

PYTHON_ATTEMPTS = r"""
import glob, json, os, socket, sys

target = json.load(sys.stdin)["parameters"]

def attempt(what, action):
    try:
        result = action()
    except Exception as error:
        print(f"BLOCKED {what}: {type(error).__name__}: {error}")
    else:
        print(f"ESCAPED {what}: {result!r}"[:300])

def refuse_if(condition, why):
    if condition:
        return why
    raise PermissionError("not so")

def connect(address, family=socket.AF_INET):
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(3)
        s.connect(address)
        return "connected"

def read(path):
    with open(path, "rb") as f:
        return f.read(64)

def write(path):
    with open(path, "w") as f:
        f.write("planted")
    return "written"

def worker_environment():
    for path in glob.glob("/proc/*/environ"):
        try:
            if target["marker"][::-1].encode() in open(path, "rb").read():
                return path
        except OSError:
            pass
    raise LookupError("no process with the worker's environment is visible")

attempt("run as uid 0", lambda: refuse_if(os.getuid() == 0 or os.geteuid() == 0, "running as root"))
attempt("setuid(0)", lambda: os.setuid(0))
attempt("read secret_key", lambda: read(target["data_dir"] + "/secret_key"))
attempt("list the data directory", lambda: os.listdir(target["data_dir"]))
attempt("read /etc/shadow", lambda: read("/etc/shadow"))
attempt("database socket", lambda: connect(target["pg_socket"], socket.AF_UNIX))
attempt("database on 127.0.0.1:5432", lambda: connect(("127.0.0.1", 5432)))
attempt("the API on loopback", lambda: connect(("127.0.0.1", target["api_port"])))
attempt("a listener on loopback", lambda: connect(("127.0.0.1", target["listener_port"])))
attempt("a listener on [::1]", lambda: connect(("::1", target["listener_port"]), socket.AF_INET6))
attempt("read the worker's environment", worker_environment)
attempt("write /usr/local", lambda: write("/usr/local/tp-escape"))
attempt("write /etc", lambda: write("/etc/tp-escape"))
attempt("write the data directory", lambda: write(target["data_dir"] + "/planted"))
for scratch in ("/tmp", "/var/tmp", "/dev/shm"):
    attempt(f"find a file an earlier run left in {scratch}", lambda: read(f"{scratch}/{target['leftover']}"))
    write(f"{scratch}/{target['leftover']}")  # allowed: its own scratch space, gone when the run ends
"""

SHELL_ATTEMPTS = r"""
try() {
  what="$1"; shift
  if out=$("$@" 2>&1); then echo "ESCAPED $what: ${out:0:200}"; else echo "BLOCKED $what: ${out:0:200}"; fi
}
tcp() { timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2"; }
try "run as uid 0" test "$(id -u)" = 0
try "become root in a new user namespace" unshare --user --map-root-user id -u
try "read secret_key" cat "$TP_PARAM_DATA_DIR/secret_key"
try "list the data directory" ls "$TP_PARAM_DATA_DIR"
try "read /etc/shadow" cat /etc/shadow
unix() { python3 -c "import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])" "$1"; }
try "database socket" unix "$TP_PARAM_PG_SOCKET"
try "database on 127.0.0.1:5432" tcp 127.0.0.1 5432
try "the API on loopback" tcp 127.0.0.1 "$TP_PARAM_API_PORT"
try "a listener on loopback" tcp 127.0.0.1 "$TP_PARAM_LISTENER_PORT"
try "a listener on [::1]" tcp ::1 "$TP_PARAM_LISTENER_PORT"
try "read the worker's environment" grep -l "$(rev <<< "$TP_PARAM_MARKER")" /proc/[0-9]*/environ
try "write /usr/local" touch /usr/local/tp-escape
try "write /etc" touch /etc/tp-escape
try "write the data directory" touch "$TP_PARAM_DATA_DIR/planted"
for scratch in /tmp /var/tmp /dev/shm; do
  try "find a file an earlier run left in $scratch" cat "$scratch/$TP_PARAM_LEFTOVER"
  echo planted > "$scratch/$TP_PARAM_LEFTOVER"
done
"""

ATTEMPTS = {
    "run as uid 0", "read secret_key", "list the data directory", "read /etc/shadow", "database socket",
    "database on 127.0.0.1:5432", "the API on loopback", "a listener on loopback", "a listener on [::1]",
    "read the worker's environment", "write /usr/local", "write /etc", "write the data directory",
    "find a file an earlier run left in /tmp", "find a file an earlier run left in /var/tmp",
    "find a file an earlier run left in /dev/shm",
}  # fmt: skip
ONLY = {"python": {"setuid(0)"}, "shell": {"become root in a new user namespace"}}


class Listener:
    """A TCP listener on 127.0.0.1 and ::1 that records every connection it accepts."""

    def __init__(self) -> None:
        self.accepted: list[str] = []
        self.open = True
        self.v4 = socket.create_server(("127.0.0.1", 0))
        self.port = self.v4.getsockname()[1]
        self.v6 = socket.create_server(("::1", self.port), family=socket.AF_INET6)
        for server in (self.v4, self.v6):
            server.settimeout(0.2)
            threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def _accept(self, server: socket.socket) -> None:
        while self.open:
            try:
                connection, peer = server.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted.append(str(peer))
            connection.close()

    def close(self) -> None:
        self.open = False
        self.v4.close()
        self.v6.close()


@dataclass
class Platform:
    url: str
    data_dir: Path
    pg_socket: Path
    listener: Listener
    engineer: httpx.Client


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    # World-traversable like a checkout's .data under `make run`: the file modes alone must not be the defence.
    # And long enough that the socket cannot live in it: the wheel then puts it in a world-writable runtime dir.
    data_dir = Path(tempfile.mkdtemp(prefix="tp-escape-data-" + "x" * 80 + "-"))
    data_dir.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTPLANE_")}
    env |= {"TENANTPLANE_DATA_DIR": str(data_dir), "TENANTPLANE_LOG_LEVEL": "WARNING"}
    env["TENANTPLANE_ESCAPE_TEST_MARKER"] = WORKER_MARKER  # in the worker's own environment, for /proc probes
    done = subprocess.run(
        [*CLI, "bootstrap", "--tenant", TENANT, "--admin-email", ADMIN[0], "--admin-password", ADMIN[1]],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    listener = Listener()
    try:
        with serving(env, worker=True) as url:  # no database URL: the embedded PostgreSQL, as `make run` has it
            with httpx.Client(base_url=url, headers=bearer(url, TENANT, *ADMIN), timeout=30) as admin:
                created = admin.post(
                    "/api/users",
                    json={
                        "email": ENGINEER[0],
                        "display_name": "Engineer",
                        "password": ENGINEER[1],
                        "roles": ["automation_engineer"],
                    },
                )
                assert created.status_code == 201, created.text
            socket_dir = Path((data_dir / "pg" / "postmaster.pid").read_text().splitlines()[4])
            sockets = [p for p in socket_dir.glob(".s.PGSQL.*") if not p.name.endswith(".lock")]
            assert sockets, "the embedded PostgreSQL socket was not found: the socket attempt would prove nothing"
            with httpx.Client(base_url=url, headers=bearer(url, TENANT, *ENGINEER), timeout=30) as engineer:
                yield Platform(url, data_dir, sockets[0], listener, engineer)
    finally:
        listener.close()
        shutil.rmtree(data_dir, ignore_errors=True)


def _run(platform: Platform, kind: str, script: str, leftover: str) -> dict[str, Any]:
    created = platform.engineer.post(
        "/api/runbooks",
        json={
            "name": f"escape-{kind}-{uuid.uuid4().hex[:6]}",
            "actions": [{"name": "escape", "type": kind, "script": script}],
        },
    )
    assert created.status_code == 201, created.text
    parameters = {
        "data_dir": str(platform.data_dir), "pg_socket": str(platform.pg_socket), "marker": WORKER_MARKER[::-1],
        "api_port": int(platform.url.rsplit(":", 1)[1]), "listener_port": platform.listener.port, "leftover": leftover,
    }  # fmt: skip
    started = platform.engineer.post(f"/api/runbooks/{created.json()['id']}/execute", json={"parameters": parameters})
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        execution: dict[str, Any] = platform.engineer.get(f"/api/executions/{started.json()['id']}").json()
        if execution["status"] in FINISHED:
            return execution
        time.sleep(0.2)
    raise AssertionError(f"the escape run never finished: {execution}")


def _verdicts(log: str) -> dict[str, str]:
    verdicts = {}
    for line in log.splitlines():
        word, _, rest = line.partition(" ")
        if word in ("BLOCKED", "ESCAPED"):
            what = rest.split(": ", 1)[0]
            verdicts[what] = word
    return verdicts


def test_the_controls_show_each_target_is_real(platform: Platform) -> None:
    # Without the sandbox every target below is there to be had: the attempts are not failing by accident.
    assert (platform.data_dir / "secret_key").stat().st_size > 0
    assert platform.pg_socket.is_socket()
    with socket.create_connection(("127.0.0.1", platform.listener.port), timeout=3):
        pass
    assert httpx.get(f"{platform.url}/healthz").status_code == 200


@pytest.mark.parametrize("kind", ["python", "shell"])
def test_every_attempt_to_reach_the_platform_fails_and_the_log_says_so(platform: Platform, kind: str) -> None:
    leftover = f"tp-leftover-{uuid.uuid4().hex[:8]}"
    accepted_before = len(platform.listener.accepted)
    script = PYTHON_ATTEMPTS if kind == "python" else SHELL_ATTEMPTS

    first = _run(platform, kind, script, leftover)
    second = _run(platform, kind, script, leftover)  # finds nothing the first left in /tmp, /var/tmp, /dev/shm

    for execution in (first, second):
        assert execution["status"] == "succeeded", execution
        log = execution["steps"][0]["log"]
        verdicts = _verdicts(log)
        assert set(verdicts) == ATTEMPTS | ONLY[kind], log
        assert [what for what, verdict in verdicts.items() if verdict != "BLOCKED"] == [], log
    assert platform.listener.accepted[accepted_before:] == [], "a script reached the loopback listener"
    for planted in ("/usr/local/tp-escape", "/etc/tp-escape", platform.data_dir / "planted"):
        assert not Path(planted).exists(), planted
    for scratch in ("/tmp", "/var/tmp", "/dev/shm"):
        assert not Path(scratch, leftover).exists(), f"the run's {scratch} file is on the host"


@pytest.mark.skipif(os.geteuid() != 0, reason="throwaway uids exist only for a worker running as root")
def test_the_embedded_database_socket_refuses_other_local_users(platform: Platform) -> None:
    # Even outside the sandbox (e.g. a process of a run uid that got out), the socket is not theirs to open.
    probe = "import socket,sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])"
    python = shutil.which("python3", path="/usr/bin:/bin")
    assert python is not None
    done = subprocess.run(
        ["setpriv", "--reuid", "1999999001", "--regid", "1999999001", "--clear-groups", python, "-c", probe,
         str(platform.pg_socket)],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "Permission denied" in done.stderr, done.stderr


def test_the_embedded_database_asks_for_a_password_on_tcp(platform: Platform) -> None:
    # It listens on no TCP address; should an operator enable one, trust must not come with it.
    rules = [line.split() for line in (platform.data_dir / "pg" / "pg_hba.conf").read_text().splitlines()]
    host_rules = [words for words in rules if words and words[0].startswith("host")]
    assert host_rules, "no host lines to check"
    assert {words[-1] for words in host_rules} == {"scram-sha-256"}, host_rules


def test_check_sandbox_says_what_this_machine_can_run() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTPLANE_")}
    ready = subprocess.run([*CLI, "check-sandbox"], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert ready.returncode == 0, ready.stdout + ready.stderr
    assert "runbook sandbox ready" in ready.stdout

    hidden = env | {"TENANTPLANE_RUNBOOK_PYTHON": sys.executable}  # the virtualenv's interpreter
    refused = subprocess.run(
        [*CLI, "check-sandbox"], env=hidden, capture_output=True, text=True, timeout=60, check=False
    )
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "python actions cannot run" in refused.stdout
