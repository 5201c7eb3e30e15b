"""A real `tenantplane worker` SIGKILLed while a workflow step runs an inline built-in runbook in its own job: the
step's transaction dies with it, the job is taken over, and the runbook's run is recorded exactly once."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

import tests.system.inline_actions  # noqa: F401 - registers `test.pause` here too, so the runbook validates
from tests.system.test_automation_crashes import _kill, _one, _rescued, _rows, _start_runbooks, _until
from tests.system.test_automation_crashes import _worker as crash_worker

pytestmark = pytest.mark.system


def _worker(url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    return crash_worker(url, data_dir, "tests.system.inline_actions")


async def _start(url: str, markers: list[Path]) -> uuid.UUID:
    """A workflow of one runbook step per marker (each a `test.pause` runbook), started by the platform."""
    actions = [[{"name": "pause", "type": "test.pause", "marker": str(m), "seconds": 60}] for m in markers]
    steps = [{"id": f"s{i}", "type": "runbook", "config": {"runbook_id": i}} for i in range(len(markers))]
    return await _start_runbooks(url, actions, steps)


def _kill_and_rescue(url: str, tmp_path: Path, execution_id: uuid.UUID, pausing: Path) -> None:
    """A worker killed once the action noting in `pausing` started (and paused), a rescuer run to the end: the
    execution succeeded, and nothing of the killed transaction was committed."""
    victim = _worker(url, tmp_path)
    try:
        _until(lambda: pausing.exists(), "the pausing inline action to start")
        assert _one(url, "SELECT count(*) FROM executions WHERE kind = 'runbook'") == 0, "nothing is committed yet"
        _kill(victim)
        _rescued(url, lambda: _worker(url, tmp_path), execution_id)
    finally:
        if victim.poll() is None:
            _kill(victim)
    status, error = _rows(url, "SELECT status, error FROM executions WHERE id = %s", execution_id)[0]
    assert status == "succeeded", error


async def test_a_worker_killed_inside_an_inline_runbook_step(clean_database: str, tmp_path: Path) -> None:
    url = clean_database
    first, second = tmp_path / "first.log", tmp_path / "second.log"
    second.write_text("")  # not the first run: it does not wait
    execution_id = await _start(url, [first, second])
    _kill_and_rescue(url, tmp_path, execution_id, first)
    steps = _rows(
        url,
        "SELECT step_id, status, attempt, outputs FROM step_runs WHERE execution_id = %s ORDER BY position",
        execution_id,
    )
    assert [(s[0], s[1], s[2]) for s in steps] == [("s0", "succeeded", 1), ("s1", "succeeded", 1)]
    # The action ran twice (the killed worker's run never committed), its run is recorded once.
    lines = first.read_text().splitlines()
    assert len(lines) == 2, lines
    children = _rows(
        url,
        "SELECT e.id, e.status, e.outputs FROM executions e JOIN step_runs s ON s.id = e.origin_id "
        "WHERE s.execution_id = %s ORDER BY s.position",
        execution_id,
    )
    assert [(c[1], c[2]) for c in children] == [("succeeded", {"runs": 2}), ("succeeded", {"runs": 1})]
    assert lines[1] == str(children[0][0]), "the recorded run is the rescuer's"
    assert steps[0][3] == {"runs": 2}
    events = _rows(url, "SELECT object_id FROM audit_events WHERE action = 'runbook.executed' ORDER BY created_at")
    assert [e[0] for e in events] == [str(c[0]) for c in children], "one runbook.executed per recorded run"
    assert _one(url, "SELECT count(*) FROM jobs WHERE kind = 'runbooks.execute'") == 0, "inline runs take no job"
    attempts, last_error = _rows(
        url,
        "SELECT attempts, last_error FROM jobs WHERE kind = 'automation.run_step' AND payload->>'step_id' = 's0'",
    )[0]
    assert attempts == 2, "the killed worker's step job was not taken over exactly once"
    assert "lease expired" in last_error
    assert _one(url, "SELECT count(*) FROM jobs WHERE status NOT IN ('succeeded', 'failed', 'cancelled')") == 0


async def test_a_worker_killed_inside_a_chain_of_inline_runbook_steps_in_one_transaction(
    clean_database: str, tmp_path: Path
) -> None:
    """The second step's runbook runs in the transaction of the first step's job (its transition started it): killed
    there, both steps' runs die with that transaction; the takeover runs both again and each is recorded once."""
    url = clean_database
    first, second = tmp_path / "first.log", tmp_path / "second.log"
    first.write_text("")  # the first step does not wait; the second one does, the first time
    execution_id = await _start(url, [first, second])
    _kill_and_rescue(url, tmp_path, execution_id, second)
    assert len(first.read_text().splitlines()) == 2
    assert len(second.read_text().splitlines()) == 2
    children = _rows(
        url,
        "SELECT e.id, e.status, e.outputs FROM executions e JOIN step_runs s ON s.id = e.origin_id "
        "WHERE s.execution_id = %s ORDER BY s.position",
        execution_id,
    )
    assert [(c[1], c[2]) for c in children] == [("succeeded", {"runs": 2}), ("succeeded", {"runs": 2})]
    assert second.read_text().splitlines()[1] == str(children[1][0]), "the recorded run is the rescuer's"
    events = _rows(url, "SELECT object_id FROM audit_events WHERE action = 'runbook.executed' ORDER BY created_at")
    assert [e[0] for e in events] == [str(c[0]) for c in children], "one runbook.executed per recorded run"
    jobs = _rows(url, "SELECT payload->>'step_id', attempts FROM jobs WHERE kind = 'automation.run_step'")
    assert jobs == [("s0", 2)], "the second step took no job: it ran in the first one's, taken over once"
