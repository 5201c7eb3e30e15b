"""ITSM benchmark: catalog requests that start approvals, approve → next step, and the approver inbox at scale.

One run on a scratch database with a real `tenantplane serve --no-worker` (one process):
(a) GET /healthz req/s (wrk) — the framework floor every other figure is a ratio to;
(b) POST /api/itsm/requests starting a 2-step approval (manager, then role `cab`): req/s, p50/p99 (wrk + Lua);
(c) approve step 1 → instance shows current_step 2: p50/p99 over sequential requests;
(d) the inbox GET /api/workflows/instances?status=pending&approver=me at 10,000 and at 1,000,000 instances
    (generated in SQL from real instances' state), with EXPLAIN (ANALYZE, BUFFERS) of its SQL.

Run: `.venv/bin/python -m bench.itsm` (wrk must be installed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

import psycopg

from bench.api import wrk_load
from bench.common import DEFAULT_SERVER, percentiles, row, scratch_database
from bench.itsm_data import generate_instances, load_fixtures, templates_from
from bench.itsm_floor import measure_floor
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
    submit,
)

# --------------------------------------------------------------------------- (b) submit under load


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc): per-request CPU of the server is a figure the
    shared machine's load moves far less than req/s."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk_post(url: str, token: str, body: dict[str, Any], seconds: float, clients: int) -> dict[str, Any]:
    """wrk with a Lua script: POST, JSON body, bearer token. Returns req/s, p50/p99 ms and error counts."""
    script = "\n".join(
        [
            'wrk.method = "POST"',
            f"wrk.body = {json.dumps(json.dumps(body))}",
            'wrk.headers["Content-Type"] = "application/json"',
            f'wrk.headers["Authorization"] = "Bearer {token}"',
        ]
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script + "\n")
        path = f.name
    try:
        cmd = ["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "--timeout", "30s", "--latency", "-s", path, url]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(path)
    lines = out.splitlines()

    def ms(label: str) -> float:
        value = next(line.split()[1] for line in lines if line.strip().startswith(label))
        unit = value.lstrip("0123456789.")
        return float(value[: len(value) - len(unit)]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    def count(label: str) -> int:
        found = [line for line in lines if line.strip().startswith(label)]
        return int(found[0].split(":")[1].strip()) if found else 0

    total = int(next(line.split()[0] for line in lines if "requests in" in line))
    errors = next((line.strip() for line in lines if line.strip().startswith("Socket errors")), "")
    return {
        "rps": float(next(line.split()[1] for line in lines if line.startswith("Requests/sec:"))),
        "p50": ms("50%"),
        "p99": ms("99%"),
        "total": total,
        "non2xx": count("Non-2xx or 3xx responses"),
        "socket_errors": errors,
    }


# --------------------------------------------------------------------------- (c) approve → next step


def approve_latency(api: Api, fx: dict[str, Any], samples: int) -> tuple[dict[str, float], int]:
    """Sequential: submit (untimed), then time POST approve (manager) until the instance shows current_step 2."""
    manager = fx["tokens"]["manager"]
    instance_ids = [submit(api, fx) for _ in range(samples)]
    latencies: list[float] = []
    polls = 0
    for instance_id in instance_ids:
        started = time.perf_counter()
        read = api.call("POST", f"/api/workflows/instances/{instance_id}/approve", manager, {})
        while read["current_step"] != 2:  # the decision is synchronous; poll only if it ever is not
            polls += 1
            read = api.call("GET", f"/api/workflows/instances/{instance_id}", manager)
        latencies.append((time.perf_counter() - started) * 1000)
    return percentiles(latencies), polls


def make_templates(api: Api, fx: dict[str, Any], url: str) -> list[dict[str, Any]]:
    """Real instances in every shape the generator copies: pending at step 1 and 2, approved, rejected, cancelled."""
    tokens = fx["tokens"]
    pending1 = submit(api, fx)
    pending2 = submit(api, fx)
    api.call("POST", f"/api/workflows/instances/{pending2}/approve", tokens["manager"], {})
    approved = submit(api, fx)
    api.call("POST", f"/api/workflows/instances/{approved}/approve", tokens["manager"], {})
    api.call("POST", f"/api/workflows/instances/{approved}/approve", tokens["cab"], {"comment": "ok for CAB"})
    rejected = submit(api, fx)
    api.call("POST", f"/api/workflows/instances/{rejected}/reject", tokens["manager"], {"comment": "not in budget"})
    cancelled = submit(api, fx)
    api.call("POST", f"/api/workflows/instances/{cancelled}/cancel", tokens["requester"], {})
    ids = {"p1": pending1, "p2": pending2, "approved": approved, "rejected": rejected, "cancelled": cancelled}
    return templates_from(url, ids)


# --------------------------------------------------------------------------- (d) inbox


INBOX = "/api/workflows/instances?status=pending&approver=me&limit=50"


def interleaved(targets: list[tuple[Api, str]], requests: int, rounds: int) -> list[dict[str, Any]]:
    """Sequential inbox GETs against several servers in alternating rounds (A B, B A, …), so that the load of the
    shared machine hits every target alike. Per target: pooled percentiles, items on the page, each round's p99."""
    for api, token in targets:
        for _ in range(20):  # warm the server's and PostgreSQL's caches
            api.http.get(INBOX, headers={"Authorization": f"Bearer {token}"}).raise_for_status()
    pooled: list[list[float]] = [[] for _ in targets]
    round_p99: list[list[float]] = [[] for _ in targets]
    for number in range(rounds):
        order = list(range(len(targets)))
        for index in order if number % 2 == 0 else order[::-1]:
            api, token = targets[index]
            headers = {"Authorization": f"Bearer {token}"}
            latencies: list[float] = []
            for _ in range(requests):
                started = time.perf_counter()
                response = api.http.get(INBOX, headers=headers)
                latencies.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            pooled[index] += latencies
            round_p99[index].append(percentiles(latencies)["p99"])
    results = []
    for index, (api, token) in enumerate(targets):
        page = api.http.get(INBOX, headers={"Authorization": f"Bearer {token}"}).json()
        results.append({**percentiles(pooled[index]), "items": len(page["items"]), "round_p99": round_p99[index]})
    return results


def prepare_inbox_data(url: str, api: Api, fx: dict[str, Any], args: argparse.Namespace, total: int) -> dict[str, Any]:
    templates = make_templates(api, fx, url)
    data = load_fixtures(url, fx, templates, users=args.users, log=log)
    data["final"] = args.instances
    generate_instances(url, data, templates, total=total, log=log)
    with psycopg.connect(url) as conn:
        data["count"], data["pending"] = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE status = 'pending') FROM approval_instances"
        ).fetchone()  # type: ignore[misc]
        data["cab_assigned"] = conn.execute(
            "SELECT count(*) FROM approval_assignments WHERE user_id = %s", (fx["cab_ids"][0],)
        ).fetchone()[0]  # type: ignore[index]
    log(f"{data['count']:,} instances, {data['pending']:,} pending")
    return data


async def _captured_inbox_sql(url: str, tenant_id: uuid.UUID, user_id: uuid.UUID) -> tuple[str, dict[str, Any]]:
    """The SQL repository.list_instances sends for this user's inbox, captured at the cursor (as the endpoint
    builds the filter for a caller without requests.read_all: approver_ids and visible_to are both {me})."""
    from sqlalchemy import event

    from tenantplane.approvals import repository as repo
    from tenantplane.kit.db import Database

    db = Database(url, pool_size=1)
    seen: list[tuple[str, dict[str, Any]]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append((statement, dict(parameters or {})))

    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    try:
        me = frozenset({user_id})
        where = repo.InstanceFilter(status="pending", approver_ids=me, visible_to=me)
        async with db.transaction() as session:
            await repo.list_instances(session, tenant_id, where, cursor=None, limit=50)
    finally:
        await db.dispose()
    return next((s, p) for s, p in seen if "approval_instances" in s)


def explain_inbox(url: str, tenant_id: uuid.UUID, user_id: uuid.UUID) -> tuple[str, str]:
    statement, params = asyncio.run(_captured_inbox_sql(url, tenant_id, user_id))
    with psycopg.connect(url) as conn:
        plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params).fetchall()
    return statement % {k: f"'{v}'" for k, v in params.items()}, "\n".join(r[0] for r in plan)


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=os.environ.get("TENANTPLANE_BENCH_SERVER", DEFAULT_SERVER))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--samples", type=int, default=200, help="approve → next step samples")
    parser.add_argument("--instances", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000, help="instances of the first inbox measurement")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--inbox-requests", type=int, default=300, help="inbox GETs per round")
    parser.add_argument("--rounds", type=int, default=4, help="alternating inbox rounds per database")
    parser.add_argument("--submit-only", action="store_true", help="(a), (b) and the floor only: no approve, no inbox")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed")
    results: list[str] = []

    def report(line: str) -> None:
        results.append(line)
        print(line, flush=True)

    log(f"cores {os.cpu_count()}; creating scratch database")
    with scratch_database(args.server) as db_url:
        env = bootstrap(db_url)
        server, base = start_server(env)
        try:
            api = Api(base)
            admin = api.token(f"admin@{DOMAIN}")
            fx = setup_fixtures(api, admin)
            submit(api, fx)  # warm the submit path once
            log("fixtures ready")

            health, health_ms = wrk_load(f"{base}/healthz", {}, args.seconds, args.clients)
            report(
                row("(a) GET /healthz (framework floor)", health, "req/s")
                + f"  p50 {health_ms['p50']:.1f} ms p99 {health_ms['p99']:.1f} ms  [load {loadavg()}]"
            )

            single: list[float] = []
            cpu_before = cpu_seconds(server.pid)
            for _ in range(50):
                started = time.perf_counter()
                submit(api, fx)
                single.append((time.perf_counter() - started) * 1000)
            one = percentiles(single)
            one_cpu = (cpu_seconds(server.pid) - cpu_before) / 50 * 1000
            report(
                row("(b0) POST /api/itsm/requests, 1 client", 1000 / one["p50"], "req/s")
                + f"  p50 {one['p50']:.1f} ms p99 {one['p99']:.1f} ms  server CPU {one_cpu:.2f} ms/request "
                f"(50 sequential)  [load {loadavg()}]"
            )
            with psycopg.connect(db_url) as conn:
                before = conn.execute("SELECT count(*) FROM approval_instances").fetchone()[0]  # type: ignore[index]
            cpu_before = cpu_seconds(server.pid)
            post = wrk_post(
                f"{base}/api/itsm/requests", fx["tokens"]["requester"], request_body(fx), args.seconds, args.clients
            )
            post_cpu = (cpu_seconds(server.pid) - cpu_before) / max(post["total"], 1) * 1000
            with psycopg.connect(db_url) as conn:
                after = conn.execute("SELECT count(*) FROM approval_instances").fetchone()[0]  # type: ignore[index]
            verdict = "OK" if post["rps"] >= 0.25 * health else "BELOW TARGET"
            report(
                row("(b) POST /api/itsm/requests (+approval)", post["rps"], "req/s", ("vs /healthz", health))
                + f"  p50 {post['p50']:.1f} ms p99 {post['p99']:.1f} ms  = {post['rps'] / health:.2%} of /healthz, "
                f"target ≥25%: {verdict}  [load {loadavg()}]"
            )
            report(
                f"    wrk+Lua, {args.clients} connections, {args.seconds:.0f}s: {post['total']} responses, "
                f"{post['non2xx']} non-2xx, {after - before} approval instances created, server CPU {post_cpu:.2f} ms "
                f"per response {post['socket_errors']}"
            )

            floor = measure_floor(
                db_url, env["TENANTPLANE_SECRET_KEY"], fx["tokens"]["requester"], request_body(fx),
                samples=50, clients=args.clients, seconds=args.seconds,
            )  # fmt: skip
            f1, fn = floor["one"], floor["many"]
            report(f"    one submit sends {floor['capture'].summary()}")
            report(
                row(
                    "(b-floor) that SQL by psycopg, 1 pipeline",
                    1000 / f1["p50"],
                    "req/s",
                    ("vs HTTP", 1000 / one["p50"]),
                )
                + f"  p50 {f1['p50']:.2f} ms p99 {f1['p99']:.2f} ms; HTTP p50 = {one['p50'] / f1['p50']:.1f}x floor"
            )
            report(
                row(f"(b-floor) the same, {args.clients} connections", floor["rps"], "req/s", ("vs HTTP", post["rps"]))
                + f"  p99 {fn['p99']:.1f} ms; HTTP = {post['rps'] / floor['rps']:.0%} of floor  [load {loadavg()}]"
            )
            if args.submit_only:
                print_summary(results)
                return
            approve, polls = approve_latency(api, fx, args.samples)
            report(
                row("(c) approve step 1 → current_step 2", approve["p50"], "ms p50")
                + f"  p99 {approve['p99']:.1f} ms  max {approve['max']:.1f} ms  ({args.samples} sequential, "
                f"{polls} extra polls)  [load {loadavg()}]"
            )

            # (d) The large set in this database; the small one in a second scratch database with its own server,
            # so both can be timed in alternating rounds (the machine is shared: load drifts within seconds).
            big = prepare_inbox_data(db_url, api, fx, args, args.instances)
            with scratch_database(args.server) as small_url:
                small_server, small_base = start_server(bootstrap(small_url))
                try:
                    small_api = Api(small_base)
                    small_fx = setup_fixtures(small_api, small_api.token(f"admin@{DOMAIN}"))
                    small = prepare_inbox_data(small_url, small_api, small_fx, args, args.small)
                    log("timing the inbox, alternating between the small and the large database")
                    typical = interleaved(
                        [
                            (small_api, small_api.token(small["inbox_email"])),
                            (api, api.token(big["inbox_email"])),
                        ],
                        args.inbox_requests,
                        args.rounds,
                    )
                    heavy = interleaved(
                        [(small_api, small_fx["tokens"]["cab"]), (api, fx["tokens"]["cab"])],
                        args.inbox_requests // 3,
                        4,
                    )
                    plans = [
                        explain_inbox(small_url, small["tenant_id"], small["inbox_user"]),
                        explain_inbox(db_url, big["tenant_id"], big["inbox_user"]),
                        explain_inbox(db_url, big["tenant_id"], uuid.UUID(fx["cab_ids"][0])),
                    ]
                finally:
                    stop_server(small_server)
            for data, stats, hv in ((small, typical[0], heavy[0]), (big, typical[1], heavy[1])):
                report(
                    row(f"(d) inbox at {data['count']:,} instances", stats["p50"], "ms p50")
                    + f"  p99 {stats['p99']:.1f} ms  max {stats['max']:.1f} ms  items {stats['items']}  "
                    f"({args.rounds}x{args.inbox_requests} sequential, round p99s "
                    + " ".join(f"{p:.1f}" for p in stats["round_p99"])
                    + f")  [load {loadavg()}]"
                )
                report(
                    row("    heavy inbox: a CAB member (all step 2)", hv["p50"], "ms p50")
                    + f"  p99 {hv['p99']:.1f} ms  items {hv['items']} of {data['cab_assigned']:,} assigned  "
                    f"(4x{args.inbox_requests // 3}, round p99s " + " ".join(f"{p:.1f}" for p in hv["round_p99"]) + ")"
                )
            small_p99, big_p99 = typical[0]["p99"], typical[1]["p99"]
            paired = sorted(b / a for a, b in zip(typical[0]["round_p99"], typical[1]["round_p99"], strict=True))
            report(
                f"    typical inbox p99 {big_p99:.1f} ms at {big['count']:,} = {big_p99 / small_p99:.2f}x its "
                f"{small['count']:,} value (median paired round ratio {paired[len(paired) // 2]:.2f}x); "
                f"targets p99 < 20 ms: {'OK' if big_p99 < 20 else 'MISSED'}, "
                f"< 1.5x: {'OK' if big_p99 < 1.5 * small_p99 else 'MISSED'}"
            )
            titles = [
                f"typical inbox at {small['count']:,} instances",
                f"typical inbox at {big['count']:,} instances",
                f"heavy (CAB member) inbox at {big['count']:,} instances",
            ]
            for number, (title, (statement, plan)) in enumerate(zip(titles, plans, strict=True)):
                print(f"\nEXPLAIN (ANALYZE, BUFFERS) of the {title}:")
                if number == 1:
                    print(statement)
                print(plan)
        finally:
            stop_server(server)
            log("server stopped; dropping the scratch database")
    print_summary(results)


def print_summary(results: list[str]) -> None:
    print(f"\nITSM benchmark summary (cores {os.cpu_count()}, load at end {loadavg()}):")
    for line in results:
        print(line)


if __name__ == "__main__":
    main()
