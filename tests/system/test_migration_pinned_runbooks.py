"""The migration that pins workflow runbook steps fills in the version each finished step ran.

Found by its file name, so it still runs when the history is renumbered.
"""

from __future__ import annotations

import psycopg
from alembic import command
from alembic.script import ScriptDirectory

from tenantplane.kit.migrate import alembic_config


def _id(n: str) -> str:
    return f"00000000-0000-0000-0000-{n.rjust(12, '0')}"


def test_finished_runbook_steps_get_the_version_of_their_last_run(empty_database: str) -> None:
    config = alembic_config(empty_database)
    [pins] = [s for s in ScriptDirectory.from_config(config).walk_revisions() if "pinned_runbook" in s.path]
    assert isinstance(pins.down_revision, str)
    command.upgrade(config, pins.down_revision)
    t, wf, rb = _id("1"), _id("2"), _id("3")
    with psycopg.connect(empty_database, autocommit=True) as conn:
        conn.execute("INSERT INTO tenants (id, slug, name) VALUES (%s, 't', 'T')", (t,))
        conn.execute("INSERT INTO runbooks (id, tenant_id, name) VALUES (%s, %s, 'r')", (rb, t))
        for version in (1, 2):
            conn.execute(
                "INSERT INTO runbook_versions (id, tenant_id, runbook_id, version, definition)"
                " VALUES (%s, %s, %s, %s, '{}')",
                (_id(f"4{version}"), t, rb, version),
            )
        conn.execute("INSERT INTO executions (id, tenant_id, kind) VALUES (%s, %s, 'workflow')", (wf, t))
        for step, kind in (("51", "runbook"), ("52", "runbook"), ("53", "delay")):
            conn.execute(
                "INSERT INTO step_runs (id, tenant_id, execution_id, position, name, type, step_id)"
                " VALUES (%s, %s, %s, 0, 's', %s, %s)",
                (_id(step), t, wf, kind, f"s{step}"),
            )
        # Step 51 ran twice (a retry after the runbook was edited): its last run was of version 2.
        for run, version, at in (("61", 1, "2026-01-01"), ("62", 2, "2026-01-02")):
            conn.execute(
                "INSERT INTO executions (id, tenant_id, kind, runbook_id, runbook_version, origin_type, origin_id,"
                " created_at) VALUES (%s, %s, 'runbook', %s, %s, 'workflow_step', %s, %s)",
                (_id(run), t, rb, version, _id("51"), at),
            )
    command.upgrade(config, pins.revision)
    with psycopg.connect(empty_database) as conn:
        rows = conn.execute("SELECT step_id, runbook_version FROM step_runs ORDER BY step_id").fetchall()
    assert rows == [("s51", 2), ("s52", None), ("s53", None)]  # s52 has not run: it keeps no pin
