"""SCIM benchmark: requests/s of SCIM user creation (POST /scim/v2/Users) and PATCH, against GET /healthz, in one run.

Starts a real `tenantplane serve --no-worker` on a scratch database, creates a SCIM token through the API, then
runs `clients` concurrent requesters for `seconds` each: creations (a fresh userName each), then PATCHes of
displayName on the users just created.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from bench.api import ADMIN, _token
from bench.common import DEFAULT_SERVER, percentiles, row, scratch_database
from bench.itsm_server import bootstrap, start_server, stop_server

SCIM_JSON = {"Content-Type": "application/scim+json"}
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


async def load(
    base: str, seconds: float, clients: int, request: Callable[[httpx.AsyncClient, int], Any]
) -> tuple[float, dict[str, float]]:
    latencies: list[float] = []
    counter = itertools.count()
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:

        async def requester() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await request(http, next(counter))
                response.raise_for_status()
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(requester() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, percentiles(latencies)


def run(base: str, scim: dict[str, str], seconds: float, clients: int) -> list[tuple[str, float, dict[str, float]]]:
    run_id = uuid.uuid4().hex[:6]
    created: list[str] = []

    async def create(http: httpx.AsyncClient, n: int) -> httpx.Response:
        body = {"schemas": [USER], "userName": f"u{n}.{run_id}@bench.example.com", "displayName": f"User {n}"}
        response = await http.post("/scim/v2/Users", json=body, headers=scim)
        if response.status_code == 201:
            created.append(response.json()["id"])
        return response

    async def patch(http: httpx.AsyncClient, n: int) -> httpx.Response:
        body = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "displayName", "value": f"Renamed {n}"}]}
        return await http.patch(f"/scim/v2/Users/{created[n % len(created)]}", json=body, headers=scim)

    async def health(http: httpx.AsyncClient, n: int) -> httpx.Response:
        return await http.get("/healthz")

    return [
        ("GET /healthz (framework floor)", *asyncio.run(load(base, seconds, clients, health))),
        ("POST /scim/v2/Users (create)", *asyncio.run(load(base, seconds, clients, create))),
        ("PATCH /scim/v2/Users/{id} (displayName)", *asyncio.run(load(base, seconds, clients, patch))),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default=os.environ.get("TENANTPLANE_BENCH_SERVER", DEFAULT_SERVER))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    with scratch_database(args.server) as db_url:
        server, base = start_server(bootstrap(db_url))
        try:
            with httpx.Client(base_url=base) as http:
                auth = {"Authorization": f"Bearer {_token(http, ADMIN)}"}
                token = http.post("/api/scim-tokens", json={"name": "bench"}, headers=auth).json()["token"]
            results = run(base, {"Authorization": f"Bearer {token}", **SCIM_JSON}, args.seconds, args.clients)
        finally:
            stop_server(server)
    print(
        f"\nSCIM benchmark: {args.clients} connections, {args.seconds:.0f}s each, one server process, "
        f"cores {os.cpu_count()}"
    )
    health = results[0][1]
    for label, rps, ms in results:
        ratio = () if label.startswith("GET /healthz") else (("vs /healthz", health),)
        print(row(label, rps, "req/s", *ratio), f"p50 {ms['p50']:.1f} ms  p95 {ms['p95']:.1f} ms")


if __name__ == "__main__":
    main()
