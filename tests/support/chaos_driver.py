"""The chaos test's load driver: threads that submit service requests and decide their two approval steps, run
workflows and decide their approval gates, through two API processes in turn.

A call that meets a connection error or a 503 (the database away, an API process killed) is retried on the other
port until it gets another answer, as a client following the 503's `Retry-After` would. Every status seen is
counted, so the test can say no client ever saw a 500. A retried mutation may have been applied by the attempt
that failed; an answer saying "already done" (409, or 403 "already voted") after such a retry counts as done.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

RETRY_FOR = 120.0  # seconds a call keeps retrying: longer than any fault the test injects
REQUESTS = "/api/itsm/requests"
GATES = "/api/automation/approvals"


@dataclass
class Tally:
    """What the driver did and saw, shared by its threads."""

    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)
    operations: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    slowest: float = 0.0  # seconds from a call's first attempt to its answer, retries included (for the summary)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def saw(self, status: int | str) -> None:
        """An answer's status, or the name of the connection error met instead."""
        with self.lock:
            if isinstance(status, str):
                self.transport_errors[status] += 1
            else:
                self.statuses[status] += 1

    def did(self, kind: str) -> None:
        with self.lock:
            self.operations[kind] += 1

    def odd(self, what: str) -> None:
        with self.lock:
            self.unexpected.append(what)

    def server_errors(self) -> dict[int, int]:
        with self.lock:
            return {s: n for s, n in sorted(self.statuses.items()) if s >= 500}


class Api:
    """One thread's HTTP client over both API ports, retrying what the chaos may interrupt."""

    def __init__(self, ports: list[int], tally: Tally) -> None:
        self.clients = [httpx.Client(base_url=f"http://127.0.0.1:{p}", timeout=15) for p in ports]
        self.turn = itertools.cycle(range(len(ports)))
        self.tally = tally

    def close(self) -> None:
        for client in self.clients:
            client.close()

    def call(self, method: str, path: str, token: str, **kwargs: Any) -> tuple[httpx.Response, bool]:
        """The first answer other than 503, and whether an earlier attempt may have reached the server."""
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        deadline, ambiguous = time.monotonic() + RETRY_FOR, False
        while True:
            client = self.clients[next(self.turn)]
            try:
                response = client.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as error:
                self.tally.saw(type(error).__name__)
                ambiguous = True
            else:
                self.tally.saw(response.status_code)
                if response.status_code != 503:
                    with self.tally.lock:
                        self.tally.slowest = max(self.tally.slowest, time.monotonic() - deadline + RETRY_FOR)
                    return response, ambiguous
                # A 503 from the database being away: the transaction may have failed at its commit.
                ambiguous = ambiguous or method != "GET"
            if time.monotonic() > deadline:
                raise AssertionError(f"{method} {path} got no answer but 503/connection errors for {RETRY_FOR}s")
            time.sleep(0.3)


@dataclass
class Cast:
    """The tenant's people (bearer tokens) and the definitions the load uses."""

    admin: str
    requester: str
    manager: str
    cab: str
    dba: str
    item_id: str
    workflow_id: str


def _decided(response: httpx.Response, ambiguous: bool) -> bool:
    return response.status_code == 200 or (ambiguous and response.status_code in (403, 409))


def request_loop(api: Api, cast: Cast, stop: threading.Event) -> None:
    """Submit a request, then decide its manager step and its CAB step (about one in four is rejected)."""
    for n in itertools.count():
        if stop.is_set():
            return
        key = f"chaos-{uuid.uuid4().hex}"
        body = {"catalog_item_id": cast.item_id, "justification": f"chaos {n}"}
        submitted, _ = api.call("POST", REQUESTS, cast.requester, json=body, headers={"Idempotency-Key": key})
        if submitted.status_code not in (200, 201):
            api.tally.odd(f"submit {submitted.status_code}: {submitted.text[:200]}")
            continue
        api.tally.did("request submitted")
        instance = submitted.json()["approval_instance_id"]
        for who, token, reject in (("manager", cast.manager, n % 8 == 3), ("cab", cast.cab, n % 8 == 6)):
            verb = "reject" if reject else "approve"
            path = f"/api/workflows/instances/{instance}/{verb}"
            answer, ambiguous = api.call("POST", path, token, json={"comment": "chaos"} if reject else {})
            if not _decided(answer, ambiguous):
                api.tally.odd(f"{who} {verb} {answer.status_code}: {answer.text[:200]}")
                break
            api.tally.did(f"approval step {verb}")
            if reject:
                break
        time.sleep(0.2)


def workflow_loop(api: Api, cast: Cast, stop: threading.Event) -> None:
    """Start the gated workflow about twice a second (the gate thread decides its gates)."""
    while not stop.is_set():
        started, _ = api.call("POST", f"/api/workflows/{cast.workflow_id}/execute", cast.admin, json={"inputs": {}})
        if started.status_code == 202:
            api.tally.did("workflow executed")
        else:
            api.tally.odd(f"execute {started.status_code}: {started.text[:200]}")
        time.sleep(0.5)


def gate_loop(api: Api, cast: Cast, stop: threading.Event) -> None:
    """Decide every pending gate as the DBA (the admin started the executions: four eyes); one in four rejected."""
    while not stop.is_set():
        listed, _ = api.call("GET", GATES, cast.dba, params={"status": "pending", "mine": "true", "limit": 100})
        if listed.status_code != 200:
            api.tally.odd(f"gates {listed.status_code}: {listed.text[:200]}")
            time.sleep(0.5)
            continue
        api.tally.did("gate inbox read")
        for gate in listed.json()["items"]:
            verb = "reject" if uuid.UUID(gate["id"]).int % 4 == 0 else "approve"
            body = {"comment": "chaos"} if verb == "reject" else {}
            answer, ambiguous = api.call("POST", f"{GATES}/{gate['id']}/{verb}", cast.dba, json=body)
            if _decided(answer, ambiguous):
                api.tally.did(f"gate {verb}")
            else:
                api.tally.odd(f"gate {verb} {answer.status_code}: {answer.text[:200]}")
        time.sleep(0.3)


class Driver:
    """The three loops in threads: `stop_load` ends the submitting ones, `stop` (after settling) the gate one."""

    def __init__(self, ports: list[int], cast: Cast) -> None:
        self.tally = Tally()
        self.load_stop, self.gate_stop = threading.Event(), threading.Event()
        self.failures: list[BaseException] = []
        loops = [(request_loop, self.load_stop), (workflow_loop, self.load_stop), (gate_loop, self.gate_stop)]
        self.threads = [
            threading.Thread(target=self._run, args=(loop, ports, cast, event), daemon=True) for loop, event in loops
        ]

    def _run(self, loop: Any, ports: list[int], cast: Cast, event: threading.Event) -> None:
        api = Api(ports, self.tally)
        try:
            loop(api, cast, event)
        except BaseException as error:  # surfaced by `stop`: a thread's failure must fail the test
            self.failures.append(error)
        finally:
            api.close()

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop_load(self) -> None:
        self.load_stop.set()
        for thread in self.threads[:2]:
            thread.join(timeout=RETRY_FOR + 30)

    def stop(self) -> None:
        self.load_stop.set()
        self.gate_stop.set()
        for thread in self.threads:
            thread.join(timeout=RETRY_FOR + 30)
        if self.failures:
            raise self.failures[0]
