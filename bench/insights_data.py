"""Bulk data for the insights benchmark (bench.insights), set-based: INSERT ... SELECT generate_series.

One tenant, 200 users, 20 approval definitions, 50 catalog items (items 1-10 owned by a group whose member is the
measured service owner), 20 workflows. For `size` n: n service requests, each with its approval instance (a
two-step ladder: manager, then it) and an SLA clock (carrying the request's catalog item); n/4 workflow executions
with 4 step runs each (n step runs) and an approval gate each.

The volume per day is fixed (`per_day`, 300 requests and 300 step runs): a larger size is a longer history, as a
tenant's data grows, so a query over the last 30 days reads about the same rows at every size — what the indexes
must make true. Requests of the last 3 days are pending (two people may decide each); older ones were decided:
10% rejected at the manager step, 80% fulfilled, 10% failed fulfilment.
"""

from __future__ import annotations

import time

import psycopg

TENANT = "md5('tenant')::uuid"
OWNER = "md5('u1')::uuid"


def _uuid(prefix: str, n: str) -> str:
    return f"md5('{prefix}' || ({n}))::uuid"


def _base(conn: psycopg.Connection) -> None:
    conn.execute(f"INSERT INTO tenants (id, slug, name) VALUES ({TENANT}, 'bench', 'Bench')")
    conn.execute(
        f"INSERT INTO users (id, tenant_id, email, display_name, roles) SELECT {_uuid('u', 'k')}, {TENANT},"
        " 'u' || k || '@bench.example.com', 'User ' || k,"
        " CASE WHEN k = 1 THEN ARRAY['service_owner'] ELSE ARRAY[]::varchar[] END FROM generate_series(1, 200) k"
    )
    conn.execute(f"INSERT INTO groups (id, tenant_id, name) VALUES (md5('owners')::uuid, {TENANT}, 'Owners')")
    conn.execute(
        f"INSERT INTO group_memberships (group_id, user_id, tenant_id) VALUES (md5('owners')::uuid, {OWNER}, {TENANT})"
    )
    conn.execute(
        f"INSERT INTO approval_definitions (id, tenant_id, name) SELECT {_uuid('d', 'k')}, {TENANT}, 'Ladder ' || k"
        " FROM generate_series(1, 20) k"
    )
    conn.execute(
        f"INSERT INTO catalog_items (id, tenant_id, name, owner_group_id) SELECT {_uuid('c', 'k')}, {TENANT},"
        " 'Item ' || k, CASE WHEN k <= 10 THEN md5('owners')::uuid END FROM generate_series(1, 50) k"
    )
    conn.execute(
        f"INSERT INTO workflows (id, tenant_id, name) SELECT {_uuid('w', 'k')}, {TENANT}, 'Workflow ' || k"
        " FROM generate_series(1, 20) k"
    )


# Per request n (1 = the newest): created `age` ago; manager decides after `a`, it after `b` more (seconds).
_REQUEST = """
    SELECT n, now() - make_interval(secs => n * 86400.0 / {per_day}) AS created,
           n * 86400.0 / {per_day} < 3 * 86400 AS pending, n % 10 = 0 AS rejected, n % 10 = 9 AS failed,
           make_interval(secs => (n % 13 + 1) * 600) AS a, make_interval(secs => (n % 11 + 1) * 900) AS b,
           md5('u' || (1 + n % 50))::uuid AS ann, md5('u' || (51 + n % 50))::uuid AS bob
    FROM generate_series({lo}, {hi}) n
"""

_DECISION = (
    "jsonb_build_object('user_id', {who}::text, 'on_behalf_of', NULL, 'outcome', {outcome},"
    " 'comment', NULL, 'at', {at})"
)


def _state() -> str:
    def step(name: str, order: int, status: str, opened: str, decisions: str, eligible: str) -> str:
        return (
            f"jsonb_build_object('name', '{name}', 'order', {order}, 'status', {status}, 'eligible_ids', {eligible},"
            f" 'decisions', {decisions}, 'reason', NULL, 'flagged', false, 'escalated', false, 'opened_at', {opened})"
        )

    at = "to_char(({}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"
    manager_at, it_at = at.format("r.created + r.a"), at.format("r.created + r.a + r.b")
    manager = step(
        "manager",
        1,
        "CASE WHEN r.pending THEN 'pending' WHEN r.rejected THEN 'rejected' ELSE 'approved' END",
        at.format("r.created"),
        "CASE WHEN r.pending THEN '[]'::jsonb ELSE jsonb_build_array("
        + _DECISION.format(
            who="r.ann", outcome="CASE WHEN r.rejected THEN 'rejected' ELSE 'approved' END", at=manager_at
        )
        + ") END",
        "jsonb_build_array(r.ann::text, r.bob::text)",
    )
    it = step(
        "it",
        2,
        "CASE WHEN r.pending THEN 'pending' WHEN r.rejected THEN 'skipped' ELSE 'approved' END",
        f"CASE WHEN r.pending OR r.rejected THEN NULL ELSE {manager_at} END",
        "CASE WHEN r.pending OR r.rejected THEN '[]'::jsonb ELSE jsonb_build_array("
        + _DECISION.format(who="r.bob", outcome="'approved'", at=it_at)
        + ") END",
        "CASE WHEN r.pending OR r.rejected THEN NULL ELSE jsonb_build_array(r.bob::text) END",
    )
    return (
        "jsonb_build_object('schema', 1, 'requester_id', r.ann::text, 'requested_for_id', NULL, 'status', i_status,"
        f" 'current_step', 1, 'finished_at', NULL, 'steps', jsonb_build_array({manager}, {it}))"
    )


def _requests(conn: psycopg.Connection, lo: int, hi: int, per_day: int) -> None:
    rows = _REQUEST.format(per_day=per_day, lo=lo, hi=hi)
    finished = "CASE WHEN r.pending THEN NULL WHEN r.rejected THEN r.created + r.a ELSE r.created + r.a + r.b END"
    i_status = "CASE WHEN r.pending THEN 'pending' WHEN r.rejected THEN 'rejected' ELSE 'approved' END"
    state = _state()
    conn.execute(
        f"INSERT INTO approval_instances (id, tenant_id, definition_id, definition_version, record_type, record_id,"
        f" title, requester_id, status, current_step, state, finished_at, created_at, updated_at)"
        f" SELECT {_uuid('i', 'r.n')}, {TENANT}, md5('d' || (1 + r.n % 20))::uuid, 1, 'service_request',"
        f" {_uuid('r', 'r.n')}, 'Request ' || r.n, r.ann, {i_status}, 1, {state.replace('i_status', i_status)},"
        f" {finished}, r.created, r.created FROM ({rows}) r"
    )
    status = "CASE WHEN r.pending THEN 'pending_approval' WHEN r.rejected THEN 'rejected' WHEN r.failed"
    status += " THEN 'fulfillment_failed' ELSE 'fulfilled' END"
    closed = "CASE WHEN r.pending THEN NULL WHEN r.rejected THEN r.created + r.a"
    closed += " ELSE r.created + r.a + r.b + make_interval(secs => (r.n % 7 + 1) * 3600) END"
    conn.execute(
        "INSERT INTO service_requests (id, tenant_id, number, catalog_item_id, requester_id, requested_for_id, status,"
        " approval_instance_id, closed_at, created_at, updated_at)"
        f" SELECT {_uuid('r', 'r.n')}, {TENANT}, 'REQ' || r.n, md5('c' || (1 + r.n % 50))::uuid, r.ann, r.ann,"
        f" {status}, {_uuid('i', 'r.n')}, {closed}, r.created, r.created FROM ({rows}) r"
    )
    conn.execute(
        "INSERT INTO approval_assignments (instance_id, step_name, user_id, tenant_id)"
        f" SELECT {_uuid('i', 'r.n')}, 'manager', who, {TENANT} FROM ({rows}) r"
        " CROSS JOIN LATERAL (VALUES (r.ann), (r.bob)) people(who) WHERE r.pending"
    )
    conn.execute(
        "INSERT INTO sla_clocks (id, tenant_id, record_type, record_id, catalog_item_id, target, clock, minutes, state,"
        " started_at, warn_at, due_at, stopped_at)"
        f" SELECT gen_random_uuid(), {TENANT}, 'service_request', {_uuid('r', 'r.n')},"
        " md5('c' || (1 + r.n % 50))::uuid, 'approval', 'wall', 120,"
        " CASE WHEN r.n % 5 = 0 THEN 'breached' ELSE 'met' END, r.created, r.created + interval '96 minutes',"
        f" r.created + interval '2 hours', r.created + r.a FROM ({rows}) r WHERE NOT r.pending"
    )


def _executions(conn: psycopg.Connection, lo: int, hi: int, per_day: int) -> None:
    rows = (
        f"SELECT m, now() - make_interval(secs => m * 4 * 86400.0 / {per_day}) AS created, m % 10 = 0 AS failed,"
        f" m * 4 * 86400.0 / {per_day} < 86400 AND m % 10 = 1 AS waiting FROM generate_series({lo}, {hi}) m"
    )
    status = "CASE WHEN e.failed THEN 'failed' WHEN e.waiting THEN 'waiting' ELSE 'succeeded' END"
    conn.execute(
        "INSERT INTO executions (id, tenant_id, kind, status, workflow_id, workflow_version, created_at, updated_at,"
        f" started_at, finished_at) SELECT {_uuid('e', 'e.m')}, {TENANT}, 'workflow', {status},"
        f" md5('w' || (1 + e.m % 20))::uuid, 1, e.created, e.created, e.created,"
        f" CASE WHEN e.waiting THEN NULL ELSE e.created + interval '5 minutes' END FROM ({rows}) e"
    )
    step_status = (
        "CASE WHEN e.failed AND p = 3 THEN 'failed' WHEN e.waiting AND p = 3 THEN 'waiting' ELSE 'succeeded' END"
    )
    conn.execute(
        "INSERT INTO step_runs (id, tenant_id, execution_id, position, name, type, status, step_id, attempt, reason,"
        f" started_at, finished_at) SELECT gen_random_uuid(), {TENANT}, {_uuid('e', 'e.m')}, p, 'Step ' || p, 'echo',"
        f" {step_status}, 's' || p, 1, CASE WHEN e.failed AND p = 3 THEN 'exit 1' END,"
        " e.created + make_interval(secs => p * 60), CASE WHEN e.waiting AND p = 3 THEN NULL"
        " ELSE e.created + make_interval(secs => p * 60 + (e.m % 17 + 1) * (p + 1)) END"
        f" FROM ({rows}) e CROSS JOIN generate_series(0, 3) p"
    )
    gate = "CASE WHEN e.waiting THEN 'pending' WHEN e.failed THEN 'rejected' ELSE 'approved' END"
    conn.execute(
        "INSERT INTO approval_gates (id, tenant_id, execution_id, step_id, attempt, status, approvers, eligible,"
        f" min_approvals, created_at, updated_at, decided_at) SELECT gen_random_uuid(), {TENANT},"
        f" {_uuid('e', 'e.m')}, 'gate', 1, {gate}, '[]', '[]', 1, e.created + interval '1 minute',"
        " e.created + interval '1 minute',"
        " CASE WHEN e.waiting THEN NULL ELSE e.created + make_interval(secs => 60 + (e.m % 29 + 1) * 120) END"
        f" FROM ({rows}) e"
    )


def seed(url: str, size: int, per_day: int, log: object = print, batch: int = 100_000) -> None:
    """Fill a migrated, empty database with `size` requests/instances and `size` step runs, then ANALYZE."""
    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        _base(conn)
        for lo in range(1, size + 1, batch):
            hi = min(size, lo + batch - 1)
            _requests(conn, lo, hi, per_day)
            _executions(conn, (lo + 3) // 4, hi // 4, per_day)
            log(f"  seeded {hi:,} of {size:,} ({time.monotonic() - started:.0f} s)")  # type: ignore[operator]
        conn.execute("ANALYZE")
