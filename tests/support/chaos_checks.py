"""The chaos test's invariants, read in SQL once the load has stopped and the system has settled.

Each check returns what it found wrong (empty when it holds) and a few counts for the summary. An outcome the
product produces by design under these faults is told apart from a violation: a shell runbook whose worker was
SIGKILLed (or SIGSTOPped past its lease) is failed as "interrupted" and never re-run, so its workflow fails and its
request's fulfillment fails; anything else that did not end as its decisions imply is a violation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg

FINAL = ("succeeded", "failed", "rejected", "cancelled", "timed_out")
INTERRUPTED = "%interrupted%"


@dataclass
class Findings:
    checked: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def check(self, name: str, rows: list[Any]) -> None:
        self.checked.append(name)
        if rows:
            self.violations.append(f"{name}: {len(rows)} e.g. {rows[:3]}")


def _rows(conn: psycopg.Connection[Any], query: str, *args: Any) -> list[Any]:
    return conn.execute(query, args).fetchall()


def _one(conn: psycopg.Connection[Any], query: str, *args: Any) -> int:
    return int(conn.execute(query, args).fetchone()[0])  # type: ignore[index]


def unsettled(url: str) -> str | None:
    """What still moves (None once everything that was due has ended): the settle phase waits on this."""
    with psycopg.connect(url) as conn:
        executions = _one(conn, f"SELECT count(*) FROM executions WHERE status NOT IN {FINAL}")
        jobs = _one(conn, "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running') AND run_at <= now()")
        requests = _one(
            conn,
            "SELECT count(*) FROM service_requests r JOIN approval_instances a ON a.id = r.approval_instance_id "
            "WHERE a.status <> 'pending' AND r.status IN ('pending_approval', 'in_fulfillment')",
        )
        gates = _one(conn, "SELECT count(*) FROM approval_gates WHERE status = 'pending'")
    if executions or jobs or requests or gates:
        return f"{executions} executions, {jobs} due jobs, {requests} requests, {gates} gates still open"
    return None


def _errors(conn: psycopg.Connection[Any], status: str) -> list[str]:
    """Why the fulfillments of requests in `status` ended as they did (for a violation's message)."""
    return [
        r[0]
        for r in _rows(
            conn,
            "SELECT DISTINCT left(e.error, 200) FROM service_requests r JOIN executions e "
            "ON e.id = r.fulfillment_execution_id WHERE r.status = %s LIMIT 3",
            status,
        )
    ]


def silent_workers(url: str, pids: dict[int, str], since: datetime) -> list[str]:
    """The workers (by pid) whose row has had no heartbeat since `since`: alive but no longer doing their job."""
    with psycopg.connect(url) as conn:
        beating = {r[0] for r in _rows(conn, "SELECT pid FROM workers WHERE heartbeat_at > %s", since)}
    return sorted(name for pid, name in pids.items() if pid not in beating)


def check_requests(conn: psycopg.Connection[Any], found: Findings) -> None:
    outcomes = _rows(
        conn,
        "SELECT a.status, r.status, coalesce(e.error, '') LIKE %s, count(*) FROM service_requests r "
        "JOIN approval_instances a ON a.id = r.approval_instance_id "
        "LEFT JOIN executions e ON e.id = r.fulfillment_execution_id GROUP BY 1, 2, 3",
        INTERRUPTED,
    )
    wrong = []
    for approval, request, interrupted, count in outcomes:
        found.counts[f"requests {approval} -> {request}"] = count
        implied = {"approved": {"fulfilled"}, "rejected": {"rejected"}}.get(approval)
        by_design = approval == "approved" and request == "fulfillment_failed" and interrupted
        if implied is not None and request not in implied and not by_design:
            wrong.append((approval, request, count, _errors(conn, request)))
    found.check("each decided request is where its decisions lead", wrong)
    found.counts["requests never fully decided"] = _one(
        conn,
        "SELECT count(*) FROM service_requests r JOIN approval_instances a ON a.id = r.approval_instance_id "
        "WHERE a.status = 'pending'",
    )
    found.check(
        "each request's fulfillment ran once per run it counts",
        _rows(
            conn,
            "SELECT r.number, r.fulfillment_runs, count(e.id) FROM service_requests r LEFT JOIN executions e "
            "ON e.origin_type = 'service_request' AND e.origin_id = r.id GROUP BY r.id "
            "HAVING count(e.id) <> r.fulfillment_runs",
        ),
    )


def check_workflows(conn: psycopg.Connection[Any], found: Findings) -> None:
    found.check(
        "every execution finished", _rows(conn, f"SELECT id, status FROM executions WHERE status NOT IN {FINAL}")
    )
    outcomes = _rows(
        conn,
        "SELECT coalesce(g.status, 'no gate'), e.status, coalesce(e.error, '') LIKE '%%step%%' AND EXISTS ("
        "  SELECT 1 FROM step_runs s JOIN executions c ON c.origin_type = 'workflow_step' AND c.origin_id = s.id"
        "  WHERE s.execution_id = e.id AND c.error LIKE %s), count(*) "
        "FROM executions e LEFT JOIN approval_gates g ON g.execution_id = e.id WHERE e.kind = 'workflow' "
        "GROUP BY 1, 2, 3",
        INTERRUPTED,
    )
    wrong = []
    for gate, status, interrupted, count in outcomes:
        found.counts[f"workflows gate {gate} -> {status}"] = count
        implied = "rejected" if gate == "rejected" else "succeeded"
        if status != implied and not (status == "failed" and interrupted):
            errors = _rows(
                conn, "SELECT DISTINCT left(error, 200) FROM executions WHERE kind = 'workflow' AND status = %s", status
            )
            wrong.append((gate, status, count, errors[:3]))
    found.check("each workflow ended as its gate decision implies", wrong)
    found.check(
        "no step run started twice", _rows(conn, "SELECT execution_id, step_id FROM step_runs WHERE attempt > 1")
    )
    found.check(
        "no step's runbook started twice",
        _rows(
            conn,
            "SELECT origin_id, count(*) FROM executions WHERE origin_type = 'workflow_step' GROUP BY 1 "
            "HAVING count(*) > 1",
        ),
    )
    found.counts["runbook executions interrupted by a killed/stopped worker"] = _one(
        conn, "SELECT count(*) FROM executions WHERE kind = 'runbook' AND error LIKE %s", INTERRUPTED
    )


def check_jobs(conn: psycopg.Connection[Any], found: Findings) -> None:
    found.check(
        "no job stuck queued/running past its time",
        _rows(conn, "SELECT kind, status FROM jobs WHERE status IN ('queued', 'running') AND run_at <= now()"),
    )
    found.check(
        "no job failed",
        _rows(conn, "SELECT kind, attempts, left(last_error, 160) FROM jobs WHERE status = 'failed'"),
    )
    found.check(
        "no dedupe key succeeded twice",
        _rows(
            conn,
            "SELECT dedupe_key, count(*) FROM jobs WHERE dedupe_key IS NOT NULL AND status = 'succeeded' "
            "GROUP BY 1 HAVING count(*) > 1",
        ),
    )
    found.check(
        "no execution's job succeeded twice",
        _rows(
            conn,
            "SELECT payload->>'execution_id', kind, count(*) FROM jobs WHERE status = 'succeeded' "
            "AND kind = 'runbooks.execute' GROUP BY 1, 2 HAVING count(*) > 1",
        ),
    )
    found.counts["jobs"] = _one(conn, "SELECT count(*) FROM jobs")
    found.counts["jobs taken over after a lost lease"] = _one(conn, "SELECT count(*) FROM jobs WHERE attempts > 1")


def check_schedule(conn: psycopg.Connection[Any], found: Findings, trigger_id: str, until: datetime) -> None:
    """Every minute boundary after the trigger's creation up to `until` fired once (`* * * * *`)."""
    created = conn.execute("SELECT created_at FROM workflow_triggers WHERE id = %s", (trigger_id,)).fetchone()[0]  # type: ignore[index]
    due, expected = created.replace(second=0, microsecond=0) + timedelta(minutes=1), []
    while due <= until:
        expected.append(due)
        due += timedelta(minutes=1)
    fired = [r[0] for r in _rows(conn, "SELECT due_at FROM workflow_trigger_firings WHERE trigger_id = %s", trigger_id)]
    found.check("no due time fired twice", [d for d in set(fired) if fired.count(d) > 1])
    found.check("every due time fired", [d for d in expected if d not in fired])
    found.check(
        "each firing started one execution",
        _rows(
            conn,
            "SELECT f.due_at, count(e.id) FROM workflow_trigger_firings f LEFT JOIN executions e "
            "ON e.origin_type = 'trigger' AND e.origin_id = f.trigger_id AND e.id = f.execution_id "
            "WHERE f.trigger_id = %s GROUP BY f.id HAVING count(e.id) <> 1",
            trigger_id,
        ),
    )
    found.check(
        "the trigger started no execution without a firing",
        _rows(
            conn,
            "SELECT e.id FROM executions e WHERE e.origin_type = 'trigger' AND e.origin_id = %s AND NOT EXISTS "
            "(SELECT 1 FROM workflow_trigger_firings f WHERE f.execution_id = e.id)",
            trigger_id,
        ),
    )
    found.counts["schedule firings"] = len(fired)


def _audited(conn: psycopg.Connection[Any], found: Findings, name: str, query: str) -> None:
    found.check(f"audit: {name}", _rows(conn, query))


def check_audit(conn: psycopg.Connection[Any], found: Findings) -> None:
    """Each mutation the driver made has exactly its audit events (none missing, none written twice)."""
    _audited(
        conn,
        found,
        "one 'service_request.submitted' per request",
        "SELECT r.number, count(a.id) FROM service_requests r LEFT JOIN audit_events a ON a.object_id = r.id::text "
        "AND a.action = 'service_request.submitted' GROUP BY r.id HAVING count(a.id) <> 1",
    )
    _audited(
        conn,
        found,
        "one 'approval_instance.approved/rejected' per approval decision",
        "SELECT i.id, (SELECT count(*) FROM approval_events e WHERE e.instance_id = i.id AND e.kind = 'decided') d, "
        "(SELECT count(*) FROM audit_events a WHERE a.object_id = i.id::text AND a.action IN "
        "('approval_instance.approved', 'approval_instance.rejected')) au FROM approval_instances i "
        "WHERE (SELECT count(*) FROM approval_events e WHERE e.instance_id = i.id AND e.kind = 'decided') <> "
        "(SELECT count(*) FROM audit_events a WHERE a.object_id = i.id::text AND a.action IN "
        "('approval_instance.approved', 'approval_instance.rejected'))",
    )
    _audited(
        conn,
        found,
        "one 'automation_approval.*' per gate decision",
        "SELECT g.id, jsonb_array_length(g.decisions), count(a.id) FROM approval_gates g LEFT JOIN audit_events a "
        "ON a.object_id = g.id::text AND a.action LIKE 'automation_approval.%%' GROUP BY g.id "
        "HAVING count(a.id) <> jsonb_array_length(g.decisions)",
    )
    _audited(
        conn,
        found,
        "one 'workflow.executed' per workflow execution",
        "SELECT e.id, count(a.id) FROM executions e LEFT JOIN audit_events a ON a.object_id = e.id::text "
        "AND a.action = 'workflow.executed' WHERE e.kind = 'workflow' GROUP BY e.id HAVING count(a.id) <> 1",
    )
    found.counts["audit events"] = _one(conn, "SELECT count(*) FROM audit_events")


def check_all(url: str, trigger_id: str, schedule_until: datetime) -> Findings:
    found = Findings()
    with psycopg.connect(url) as conn:
        check_requests(conn, found)
        check_workflows(conn, found)
        check_jobs(conn, found)
        check_schedule(conn, found, trigger_id, schedule_until)
        check_audit(conn, found)
    return found
