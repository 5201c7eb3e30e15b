"""SLA bookkeeping benchmark: POST /api/itsm/requests throughput for an item held to an SLA policy vs one without.

One run on a scratch database with a real `tenantplane serve --no-worker`: two identical catalog items (a 2-step
approval), one held to a policy (business-time approval target, wall-clock resolution target, so each submit starts
two clocks and queues four timer jobs). wrk + Lua posts to each in alternating rounds (A B, B A, …) so the shared
machine's load hits both alike; prints req/s of each, the ratio and the target (≤ 10 % overhead).

Run: `.venv/bin/python -m bench.sla [--seconds 5 --rounds 4 --clients 32]` (wrk must be installed).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
from typing import Any

import psycopg

from bench.common import DEFAULT_SERVER, scratch_database
from bench.itsm import wrk_post
from bench.itsm_server import (
    DOMAIN,
    Api,
    bootstrap,
    loadavg,
    log,
    request_body,
    setup_fixtures,
    start_server,
    stop_server,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def held_item(api: Api, admin: str, fx: dict[str, Any]) -> str:
    """A copy of the fixtures' item held to an SLA policy; its id."""
    hours = {day: [{"start": "09:00", "end": "17:00"}] for day in WEEKDAYS}
    calendar = api.call(
        "POST", "/api/sla/calendars", admin, {"name": "Office", "time_zone": "Europe/Berlin", "working_hours": hours}
    )
    targets = [
        {"target": "approval", "minutes": 120, "clock": "business"},
        {"target": "resolution", "minutes": 2880, "clock": "wall"},
    ]
    policy = api.call(
        "POST", "/api/sla/policies", admin, {"name": "Gold", "calendar_id": calendar["id"], "targets": targets}
    )
    item = api.call("GET", f"/api/itsm/catalog/{fx['item_id']}", admin)
    body = {
        "name": "Laptop (SLA)",
        "description": item["description"],
        "category": item["category"],
        "variables": item["variables"],
        "workflow_definition_id": item["workflow_definition_id"],
        "sla_policy_id": policy["id"],
    }
    return str(api.call("POST", "/api/itsm/catalog", admin, body, expect=201)["id"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=os.environ.get("TENANTPLANE_BENCH_SERVER", DEFAULT_SERVER))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed")
    log(f"cores {os.cpu_count()}; creating scratch database")
    with scratch_database(args.server) as db_url:
        server, base = start_server(bootstrap(db_url))
        try:
            api = Api(base)
            admin = api.token(f"admin@{DOMAIN}")
            fx = setup_fixtures(api, admin)
            bodies = {
                "without": request_body(fx),
                "with": {**request_body(fx), "catalog_item_id": held_item(api, admin, fx)},
            }
            for body in bodies.values():  # warm both paths
                api.call("POST", "/api/itsm/requests", fx["tokens"]["requester"], body, expect=201)
            rps: dict[str, list[float]] = {"without": [], "with": []}
            for number in range(args.rounds):
                order = ["without", "with"] if number % 2 == 0 else ["with", "without"]
                for name in order:
                    result = wrk_post(
                        f"{base}/api/itsm/requests", fx["tokens"]["requester"], bodies[name], args.seconds, args.clients
                    )
                    if result["non2xx"]:
                        raise RuntimeError(f"{result['non2xx']} failed submits {name} a policy")
                    rps[name].append(result["rps"])
                    log(f"round {number + 1} {name:>7} policy: {result['rps']:.0f} req/s p99 {result['p99']:.1f} ms")
            with psycopg.connect(db_url) as conn:
                clocks = conn.execute("SELECT count(*) FROM sla_clocks").fetchone()[0]  # type: ignore[index]
        finally:
            stop_server(server)
    without, held = statistics.median(rps["without"]), statistics.median(rps["with"])
    ratio = held / without
    verdict = "OK" if ratio >= 0.90 else "BELOW TARGET"
    print(f"POST /api/itsm/requests without a policy: {without:.0f} req/s (median of {args.rounds})")
    print(f"POST /api/itsm/requests with a policy:    {held:.0f} req/s (median of {args.rounds}; {clocks} clocks)")
    print(f"ratio with/without {ratio:.3f} (overhead {1 - ratio:.1%}, target ≤ 10 %): {verdict}  [load {loadavg()}]")


if __name__ == "__main__":
    main()
