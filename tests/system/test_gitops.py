"""The real `tenantplane apply` / `export` CLI against the test database: create, unchanged, diff, abort,
round trip, and a broken document that writes nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

pytestmark = pytest.mark.system
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DOCUMENTS = 32  # users, groups, runbooks, approval definitions, workflows and catalog items in examples/


def _cli(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TENANTPLANE_DATABASE_URL": url, "TENANTPLANE_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "tenantplane.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _writes(url: str) -> tuple[int, int, int]:
    """Audit events, runbook versions and approval definition versions: any write changes one of them."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM audit_events), (SELECT count(*) FROM runbook_versions),"
            " (SELECT count(*) FROM approval_definition_versions)"
        ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


@pytest.fixture
def demo(clean_database: str) -> str:
    done = _cli(clean_database, "bootstrap", "--tenant", "demo", "--admin-email", "admin@demo.example.com",
                "--admin-password", "demo-admin-1")  # fmt: skip
    assert done.returncode == 0, done.stderr
    return clean_database


def _apply(url: str, path: Path, *extra: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return _cli(url, "apply", "-f", str(path), "--tenant", "demo", *extra, stdin=stdin)


def test_apply_creates_everything_then_nothing_changes(demo: str) -> None:
    first = _apply(demo, EXAMPLES, "--yes")
    assert first.returncode == 0, first.stderr
    assert f"{DOCUMENTS} to create, 0 to update, 0 unchanged" in first.stdout
    assert "+ create CatalogItem 'New hire onboarding'" in first.stdout
    before = _writes(demo)

    second = _apply(demo, EXAMPLES, "--yes")
    assert second.returncode == 0, second.stderr
    assert f"0 to create, 0 to update, {DOCUMENTS} unchanged" in second.stdout
    assert "nothing to apply" in second.stdout
    assert _writes(demo) == before


def test_an_edited_field_shows_in_the_diff_and_needs_confirmation(demo: str, tmp_path: Path) -> None:
    assert _apply(demo, EXAMPLES, "--yes").returncode == 0
    edited = tmp_path / "edited"
    shutil.copytree(EXAMPLES, edited)
    approvals = edited / "20-approvals.yaml"
    approvals.write_text(approvals.read_text().replace("min_approvals: 2}", "min_approvals: 1}"))
    before = _writes(demo)

    declined = _apply(demo, edited)  # no --yes, no stdin
    assert declined.returncode == 1
    assert "~ update ApprovalDefinition 'Normal change' (changed: steps[1].min_approvals)" in declined.stdout
    assert "1 to update" in declined.stdout
    assert "aborted: nothing was written" in declined.stderr
    assert _writes(demo) == before

    confirmed = _apply(demo, edited, stdin="y\n")
    assert confirmed.returncode == 0, confirmed.stderr
    assert "applied" in confirmed.stdout
    assert _writes(demo)[2] == before[2] + 1
    assert "0 to update" in _apply(demo, edited, "--yes").stdout


def test_export_then_apply_round_trips_unchanged(demo: str, tmp_path: Path) -> None:
    assert _apply(demo, EXAMPLES, "--yes").returncode == 0
    exported = _cli(demo, "export", "--tenant", "demo", "-o", str(tmp_path / "out"))
    assert exported.returncode == 0, exported.stderr
    text = (tmp_path / "out" / "tenantplane.yaml").read_text()
    assert "runbook: grant-access" in text
    assert "workflow_definition: Access request" in text
    assert "approver_value: App owners" in text
    assert "escalate_to: group:CAB" in text, "an escalation group is exported by name"
    before = _writes(demo)

    again = _apply(demo, tmp_path / "out", "--yes")
    assert again.returncode == 0, again.stderr
    assert "0 to create, 0 to update" in again.stdout
    assert _writes(demo) == before


def test_a_broken_document_writes_nothing(demo: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(EXAMPLES, broken)
    catalog = broken / "40-catalog.yaml"
    catalog.write_text(catalog.read_text().replace("{runbook: grant-access}", "{runbook: no-such-runbook}"))
    before = _writes(demo)

    failed = _apply(demo, broken, "--yes")
    assert failed.returncode == 1
    assert "CatalogItem 'Application access': fulfillment_config.runbook" in failed.stderr
    assert "no-such-runbook" in failed.stderr
    assert "40-catalog.yaml" in failed.stderr
    assert _writes(demo) == before


def test_a_service_refusal_names_the_document(demo: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "kind: ApprovalDefinition\nname: Broken\nsteps:\n"
        "  - {name: One, order: 1, approver_type: group, approver_value: Nobody}\n"
    )
    failed = _apply(demo, bad, "--yes")
    assert failed.returncode == 1
    assert "ApprovalDefinition 'Broken'" in failed.stderr
    assert "steps.0.approver_value" in failed.stderr
