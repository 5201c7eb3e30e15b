"""Every ```yaml block of the automation docs is a `tenantplane apply` file that applies to the demo tenant.

Each block is planned by the real CLI on the tenant `make run` creates (examples/ applied, plus the `On-call`
channel the docs ask for) and declined, so nothing is written; blocks marked ```yaml fragment are skipped.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import yaml
from psycopg import sql

pytestmark = pytest.mark.system
ROOT = Path(__file__).resolve().parents[2]
DOCS = (ROOT / "docs" / "WORKFLOWS_ITSM_VS_AUTOMATION.md", ROOT / "docs" / "automation.md")
TENANT = "demo"


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int
    fragment: bool
    text: str

    @property
    def label(self) -> str:
        return f"{self.doc.name}:{self.line}"


def yaml_blocks(doc: Path) -> list[Block]:
    """The ```yaml blocks of a Markdown file; an info string other than `yaml` or `yaml fragment` is an error."""
    blocks: list[Block] = []
    opened: tuple[int, str] | None = None
    body: list[str] = []
    for number, line in enumerate(doc.read_text().splitlines(), start=1):
        if opened is None and line.startswith("```"):
            opened, body = (number, line[3:].strip()), []
        elif opened is not None and line.strip() == "```":
            start, info = opened
            words = info.split()
            if words[:1] == ["yaml"]:
                assert words in (["yaml"], ["yaml", "fragment"]), f"{doc.name}:{start}: unknown info string {info!r}"
                blocks.append(Block(doc, start, words == ["yaml", "fragment"], "\n".join(body) + "\n"))
            opened = None
        elif opened is not None:
            body.append(line)
    assert opened is None, f"{doc.name}:{opened[0]}: code block never closed"
    return blocks


ALL_BLOCKS = [block for doc in DOCS for block in yaml_blocks(doc)]
FULL_BLOCKS = [block for block in ALL_BLOCKS if not block.fragment]


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


async def _create_on_call_channel(url: str) -> None:
    """The in-app channel `On-call` (members of SRE) the docs' notification steps name; YAML has no channels."""
    from sqlalchemy import select

    from tenantplane.gitops.apply import admin_principal
    from tenantplane.identity import repository as identity_repo
    from tenantplane.identity.models import Group
    from tenantplane.kit.db import Database
    from tenantplane.notifications.channels import create_channel
    from tenantplane.notifications.destinations import Egress
    from tenantplane.notifications.schemas import ChannelWrite

    database = Database(url, pool_size=1)
    try:
        async with database.transaction() as session:
            tenant = await identity_repo.find_tenant(session, TENANT)
            assert tenant is not None
            actor = await admin_principal(session, tenant.id)
            assert actor is not None
            sre = await session.scalar(select(Group.id).where(Group.tenant_id == tenant.id, Group.name == "SRE"))
            assert sre is not None
            data = ChannelWrite(name="On-call", type="in_app", config={"groups": [str(sre)]})
            await create_channel(session, actor=actor, data=data, secret_key="doc-examples", egress=Egress(()))
    finally:
        await database.dispose()


def _truncate_all(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        ).fetchall()
        tables = sql.SQL(", ").join(sql.Identifier(r[0]) for r in rows)
        conn.execute(sql.SQL("TRUNCATE {} CASCADE").format(tables))


@pytest.fixture(scope="module")
def demo_tenant(database_url: str) -> Iterator[str]:
    """The demo tenant of `make run`: bootstrap, `apply -f examples`, and the On-call channel."""
    try:
        done = _cli(database_url, "bootstrap", "--tenant", TENANT, "--admin-email", "admin@demo.example.com",
                    "--admin-password", "demo-admin-1")  # fmt: skip
        assert done.returncode == 0, done.stderr
        applied = _cli(database_url, "apply", "-f", str(ROOT / "examples"), "--tenant", TENANT, "--yes")
        assert applied.returncode == 0, applied.stderr
        asyncio.run(_create_on_call_channel(database_url))
        yield database_url
    finally:
        _truncate_all(database_url)


def dry_run_problem(url: str, text: str, where: Path) -> str | None:
    """Plan the YAML with `tenantplane apply` and decline: None when every document would be created."""
    documents = [d for d in yaml.safe_load_all(text) if d is not None]
    if not documents:
        return "the block holds no document"
    where.write_text(text)
    planned = _cli(url, "apply", "-f", str(where), "--tenant", TENANT, stdin="n\n")
    if "error:" in planned.stderr:
        return f"apply refused it:\n{planned.stderr}"
    summary = f"{len(documents)} to create, 0 to update, 0 unchanged"
    if summary not in planned.stdout:
        return f"expected '{summary}' (a worked example must not change the demo tenant):\n{planned.stdout}"
    if planned.returncode != 1 or "aborted: nothing was written" not in planned.stderr:
        return f"the plan was not declined (exit {planned.returncode}):\n{planned.stderr}"
    return None


def test_the_docs_keep_their_worked_examples() -> None:
    workflows_doc = [b for b in FULL_BLOCKS if b.doc == DOCS[0]]
    assert len(workflows_doc) >= 6, "the ITSM example and the five use cases of the user guide"
    assert any(b.doc == DOCS[1] for b in FULL_BLOCKS)
    fragments = [b.label for b in ALL_BLOCKS if b.fragment]
    assert len(fragments) <= 3, f"keep fragments few; prefer complete documents: {fragments}"


@pytest.mark.parametrize("block", FULL_BLOCKS, ids=[b.label for b in FULL_BLOCKS])
def test_every_yaml_block_applies(demo_tenant: str, block: Block, tmp_path: Path) -> None:
    problem = dry_run_problem(demo_tenant, block.text, tmp_path / "block.yaml")
    assert problem is None, f"{block.label}: {problem}"


def test_a_broken_block_is_reported(demo_tenant: str, tmp_path: Path) -> None:
    """The check can fail: a condition step without its false edge, and a runbook that does not exist."""
    broken = (
        "kind: Workflow\nname: Broken\nsteps:\n"
        "  - {id: check, type: condition, config: {expression: 'inputs.x > 1'}}\n"
        "  - {id: act, type: runbook, config: {runbook: no-such-runbook}}\n"
        "edges:\n  - {from: check, to: act, condition: 'true'}\n"
    )
    problem = dry_run_problem(demo_tenant, broken, tmp_path / "broken.yaml")
    assert problem is not None
    assert "no runbook named 'no-such-runbook'" in problem
    fixed = broken.replace("no-such-runbook", "diagnose")
    problem = dry_run_problem(demo_tenant, fixed, tmp_path / "fixed.yaml")
    assert problem is not None
    assert "missing: false" in problem
    colliding = (ROOT / "examples" / "10-runbooks.yaml").read_text().split("---")[0]
    problem = dry_run_problem(demo_tenant, colliding, tmp_path / "colliding.yaml")
    assert problem is not None
    assert "must not change the demo tenant" in problem
