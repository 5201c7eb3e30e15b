"""A real `tenantplane worker` SIGKILLed right after its handler's transaction handed the next link of a chain to it:
the handed-off job, inserted claimed under the dead worker's lease and never started, is taken over once its lease
runs out and runs exactly once."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

import tests.support.job_handlers as handlers
from tests.system.test_automation_crashes import _kill, _one, _rows, _stop, _until
from tests.system.test_automation_crashes import _worker as crash_worker

pytestmark = pytest.mark.system


def test_a_hand_off_held_by_a_killed_worker_is_taken_over_and_runs_once(clean_database: str, tmp_path: Path) -> None:
    url = clean_database
    marker = tmp_path / "handed-off"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(handlers.CREATE_TABLE)
        conn.execute(
            "INSERT INTO jobs (kind, payload, max_attempts, backoff_seconds) "
            "VALUES ('test.link', jsonb_build_object('n', 1, 'pause_marker', %s::text), 3, 0.05)",
            (str(marker),),
        )
    victim = crash_worker(url, tmp_path, "tests.support.job_handlers")
    try:
        _until(marker.exists, "the first link to commit its hand-off and hang")
        handed, status = _rows(url, "SELECT id, status FROM jobs WHERE payload->>'n' = '0'")[0]
        assert status == "running", "the next link went in claimed"
        assert _one(url, "SELECT count(*) FROM test_job_runs WHERE phase = 'link 0'") == 0, "and is not started"
        _kill(victim)
    finally:
        if victim.poll() is None:
            _kill(victim)
    rescuer = crash_worker(url, tmp_path, "tests.support.job_handlers")
    try:
        _until(
            lambda: _one(url, "SELECT count(*) FROM jobs WHERE status NOT IN ('succeeded')") == 0,
            "the rescuer to take both links over and finish them",
        )
    finally:
        _stop(rescuer)
    # The handed-off link ran once, as the takeover's second attempt. (The hung first link's own job was taken over
    # too and ran again: its first attempt had committed, so it handed off a second link 0, which also ran once.)
    runs = _rows(url, "SELECT job_id, attempt FROM test_job_runs WHERE job_id = %s", handed)
    assert runs == [(handed, 2)]
    attempts, last_error = _rows(url, "SELECT attempts, last_error FROM jobs WHERE id = %s", handed)[0]
    assert attempts == 2, "the killed worker's claim counted once, the rescuer's run is the second attempt"
    assert "lease expired" in last_error
    assert (
        _one(
            url,
            "SELECT max(n) FROM (SELECT count(*) AS n FROM test_job_runs WHERE phase = 'link 0' GROUP BY job_id) AS r",
        )
        == 1
    )
