"""Bulk data for the inbox benchmark (bench.itsm): 10,000 users and up to 1,000,000 approval instances, in SQL.

Every generated instance copies the state JSON, variables and assignment rows of a real instance created through
the API (pending at step 1, pending at step 2, approved, rejected, cancelled), with its requester and manager ids
replaced by a generated requester and that requester's manager. Teams of ten: user n reports to n - n % 10, and
team leads report to the lead of n // 100 * 10. Mix: 1.4% pending at the manager step, 0.6% pending at the CAB
step, 88% approved, 7% rejected, 3% cancelled; pending ones created in the last 14 days, the rest over a year.

The measured inbox user is a typical team lead (nine reports). Their inbox is fixed by the first batch generated
— as many pending requests as a lead of nine has at the full size — and later batches never add to it,
so the small and the large measurements return the same page and differ only by the size of the history.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import psycopg

KINDS = {"p1": 1, "p2": 2, "approved": 3, "rejected": 4, "cancelled": 5}
P1_SHARE, P2_SHARE, APPROVED_UNTIL, REJECTED_UNTIL = 0.014, 0.006, 0.90, 0.97
BATCH = 100_000


def templates_from(url: str, ids: dict[str, str]) -> list[dict[str, Any]]:
    """Copy the five real instances (and their assignment rows) into bench_templates / bench_template_assign."""
    with psycopg.connect(url) as conn:
        conn.execute(
            """
            CREATE UNLOGGED TABLE bench_templates AS
            SELECT 0 AS kind, i.state::text AS state, i.status, i.current_step, i.variables, i.title,
                   i.finished_at IS NOT NULL AS finished, i.definition_id, i.definition_version, i.record_type,
                   i.requester_id, u.manager_id, i.requester_id::text AS requester_text,
                   u.manager_id::text AS manager_text
            FROM approval_instances i JOIN users u ON u.id = i.requester_id WHERE false
            """
        )
        conn.execute("CREATE UNLOGGED TABLE bench_template_assign (kind int, step_name text, user_id uuid)")
        for name, instance_id in ids.items():
            kind = KINDS[name]
            conn.execute(
                """
                INSERT INTO bench_templates
                SELECT %s, i.state::text, i.status, i.current_step, i.variables, i.title, i.finished_at IS NOT NULL,
                       i.definition_id, i.definition_version, i.record_type, i.requester_id, u.manager_id,
                       i.requester_id::text, u.manager_id::text
                FROM approval_instances i JOIN users u ON u.id = i.requester_id WHERE i.id = %s
                """,
                (kind, instance_id),
            )
            conn.execute(
                "INSERT INTO bench_template_assign SELECT %s, step_name, user_id FROM approval_assignments "
                "WHERE instance_id = %s",
                (kind, instance_id),
            )
        rows = conn.execute(
            "SELECT t.kind, t.status, t.current_step, length(t.state), "
            "(SELECT count(*) FROM bench_template_assign a WHERE a.kind = t.kind) FROM bench_templates t ORDER BY 1"
        ).fetchall()
    return [{"kind": k, "status": s, "current_step": c, "state_bytes": n, "assignments": a} for k, s, c, n, a in rows]


def load_fixtures(
    url: str, fx: dict[str, Any], templates: list[dict[str, Any]], *, users: int, log: Callable[[str], None]
) -> dict[str, Any]:
    """The tenant's generated users (same password as the API-created ones) and who the inbox user is."""
    shapes = ", ".join(
        f"{t['status']}@{t['current_step']} ({t['state_bytes']} B state, {t['assignments']} assignments)"
        for t in templates
    )
    log(f"templates: {shapes}")
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        tenant_id, password_hash = conn.execute(
            "SELECT tenant_id, password_hash FROM users WHERE id = %s", (fx["requester_id"],)
        ).fetchone()  # type: ignore[misc]
        conn.execute(
            """
            CREATE UNLOGGED TABLE bench_users AS
            SELECT n AS idx, gen_random_uuid() AS id,
                   CASE WHEN n = 0 THEN NULL WHEN n %% 10 <> 0 THEN n - n %% 10 ELSE n / 100 * 10 END AS mgr_idx
            FROM generate_series(0, %s - 1) n
            """,
            (users,),
        )
        conn.execute("ALTER TABLE bench_users ADD PRIMARY KEY (idx)")
        conn.execute(
            """
            INSERT INTO users (id, tenant_id, email, display_name, password_hash, roles, manager_id)
            SELECT u.id, %s, 'user' || u.idx || '@bench.example.com', 'User ' || u.idx, %s, '{}', m.id
            FROM bench_users u LEFT JOIN bench_users m ON m.idx = u.mgr_idx ORDER BY u.idx
            """,
            (tenant_id, password_hash),
        )
        lead = max(1000, users // 2 // 10 * 10)
        inbox_user = conn.execute("SELECT id FROM bench_users WHERE idx = %s", (lead,)).fetchone()[0]  # type: ignore[index]
    log(f"{users} users in {time.perf_counter() - started:.1f}s; inbox user = team lead user{lead}")
    return {
        "tenant_id": tenant_id,
        "users": users,
        "lead": lead,
        "inbox_user": inbox_user,
        "inbox_email": f"user{lead}@bench.example.com",
        "generated": 0,
    }


def _stage(conn: psycopg.Connection[Any], data: dict[str, Any], lo: int, hi: int, forced: int) -> None:
    """Batch rows lo..hi (1-based over everything generated): id, kind, requester, created_at, time to finish."""
    conn.execute("TRUNCATE bench_stage")
    conn.execute(
        """
        INSERT INTO bench_stage (id, kind, req_idx, created_at, delay)
        SELECT gen_random_uuid(), kind, req, created_at, delay FROM (
          SELECT CASE WHEN g <= %(forced)s THEN 1
                      WHEN req BETWEEN %(team_lo)s AND %(team_hi)s AND k <= 2 THEN 3
                      ELSE k END AS kind,
                 CASE WHEN g <= %(forced)s THEN %(team_lo)s::int + g %% 9 ELSE req END AS req,
                 CASE WHEN g <= %(forced)s OR k <= 2 THEN now() - r2 * interval '14 days'
                      ELSE now() - interval '3 days' - r2 * interval '362 days' END AS created_at,
                 r3 * interval '3 days' AS delay
          FROM (
            SELECT g, 1 + floor(random() * (%(users)s::int - 1))::int AS req, r2, r3,
                   CASE WHEN r < %(p1)s THEN 1 WHEN r < %(p2)s THEN 2 WHEN r < %(a)s THEN 3
                        WHEN r < %(rj)s THEN 4 ELSE 5 END AS k
            FROM (SELECT g, random() AS r, random() AS r2, random() AS r3
                  FROM generate_series(%(lo)s::int, %(hi)s::int) g) s0
          ) s1
        ) s2
        """,
        {
            "lo": lo,
            "hi": hi,
            "forced": forced,
            "users": data["users"],
            "team_lo": data["lead"] + 1,
            "team_hi": data["lead"] + 9,
            "p1": P1_SHARE,
            "p2": P1_SHARE + P2_SHARE,
            "a": APPROVED_UNTIL,
            "rj": REJECTED_UNTIL,
        },
    )


INSERT_INSTANCES = """
INSERT INTO approval_instances (id, tenant_id, created_at, updated_at, definition_id, definition_version,
  record_type, record_id, title, requester_id, status, current_step, variables, state, finished_at)
SELECT s.id, %(tenant)s, s.created_at, CASE WHEN t.finished THEN s.created_at + s.delay ELSE s.created_at END,
       t.definition_id, t.definition_version, t.record_type, gen_random_uuid(), t.title, u.id, t.status,
       t.current_step, t.variables,
       replace(replace(t.state, t.requester_text, u.id::text), t.manager_text, m.id::text)::jsonb,
       CASE WHEN t.finished THEN s.created_at + s.delay END
FROM bench_stage s
JOIN bench_templates t ON t.kind = s.kind
JOIN bench_users u ON u.idx = s.req_idx
JOIN bench_users m ON m.idx = u.mgr_idx
"""

INSERT_ASSIGNMENTS = """
INSERT INTO approval_assignments (instance_id, step_name, user_id, tenant_id)
SELECT s.id, a.step_name,
       CASE a.user_id WHEN t.manager_id THEN m.id WHEN t.requester_id THEN u.id ELSE a.user_id END, %(tenant)s
FROM bench_stage s
JOIN bench_templates t ON t.kind = s.kind
JOIN bench_template_assign a ON a.kind = s.kind
JOIN bench_users u ON u.idx = s.req_idx
JOIN bench_users m ON m.idx = u.mgr_idx
"""


def generate_instances(
    url: str, data: dict[str, Any], templates: list[dict[str, Any]], *, total: int, log: Callable[[str], None]
) -> None:
    """Add generated instances until the table holds `total` (batches of 100,000, FK triggers off while loading)."""
    with psycopg.connect(url) as conn:
        have = conn.execute("SELECT count(*) FROM approval_instances").fetchone()[0]  # type: ignore[index]
        todo = max(0, total - have)
        # A lead of nine reports at the full size: 9 x (instances per user) x the step-1 pending share.
        forced = 0 if data["generated"] else max(1, round(9 * data.get("final", total) / data["users"] * P1_SHARE))
        extra = f", {forced} pending for the inbox user" if forced else ""
        log(f"generating {todo:,} instances (have {have:,}){extra}")
        conn.execute("SET session_replication_role = replica")  # skip FK triggers during the bulk load
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bench_stage "
            "(id uuid, kind int, req_idx int, created_at timestamptz, delay interval)"
        )
        started = time.perf_counter()
        done = 0
        while done < todo:
            size = min(BATCH, todo - done)
            lo = data["generated"] + 1
            _stage(conn, data, lo, lo + size - 1, forced if data["generated"] == 0 else 0)
            params = {"tenant": data["tenant_id"]}
            conn.execute(INSERT_INSTANCES, params)
            conn.execute(INSERT_ASSIGNMENTS, params)
            conn.commit()
            done += size
            data["generated"] += size
            rate = done / (time.perf_counter() - started)
            log(f"  {done:,}/{todo:,} instances ({rate:,.0f}/s)")
        conn.execute("SET session_replication_role = DEFAULT")
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        began = time.perf_counter()
        conn.execute("VACUUM (ANALYZE) approval_instances")
        conn.execute("VACUUM (ANALYZE) approval_assignments")
        conn.execute("ANALYZE users")
        log(f"generated in {time.perf_counter() - started:.1f}s (VACUUM ANALYZE {time.perf_counter() - began:.1f}s)")
