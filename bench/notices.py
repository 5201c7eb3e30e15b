"""Approval notices with Slack DMs against plain in-app notices, in one run: N notices each way on a scratch database.

In-app: `notify_users` writes the inbox entries (the platform's plain notice). Slack: the same notice plus a DM each
(`queue_approval_dms`), delivered by a real `tenantplane worker` process through the queue (`slack.post`: Slack user
by e-mail, then `chat.postMessage`) against a local stand-in for Slack's Web API; timed until every DM is sent.

    python -m bench.notices [--notices 1000] [--approvers 20] [--concurrency 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
from tests.support.slack_standin import BOT_TOKEN, SIGNING_SECRET, SlackStandIn, running_slack

from bench.common import DEFAULT_SERVER, row, scratch_database
from tenantplane.identity.models import User
from tenantplane.identity.oidc.service import principal_of
from tenantplane.identity.service import bootstrap
from tenantplane.kit.db import Database
from tenantplane.notifications.service import notify_users
from tenantplane.notifications.slack.apps import put_app
from tenantplane.notifications.slack.notices import STEP, Subject, queue_approval_dms
from tenantplane.notifications.slack.schemas import SlackAppWrite

ROOT = Path(__file__).resolve().parents[1]
SECRET_KEY = "bench-secret-key-" + "x" * 32


async def _setup(url: str, slack: SlackStandIn, approvers: int) -> tuple[uuid.UUID, list[uuid.UUID]]:
    db = Database(url)
    try:
        async with db.transaction() as session:
            tenant, admin, _ = await bootstrap(
                session, slug="bench", admin_email="a@bench.io", admin_password="pw-bench-1"
            )
            users = [
                User(id=uuid.uuid4(), tenant_id=tenant.id, email=f"u{i}@bench.io", display_name=f"U{i}", roles=["cab"])
                for i in range(approvers)
            ]
            session.add_all(users)
            await session.flush()
            body = SlackAppWrite(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET)
            await put_app(session, actor=principal_of(admin), data=body, secret_key=SECRET_KEY)
        for i, user in enumerate(users):
            slack.users[f"U{i:05d}"] = user.email
        return tenant.id, [u.id for u in users]
    finally:
        await db.dispose()


async def _notices(url: str, tenant_id: uuid.UUID, users: list[uuid.UUID], count: int, *, slack: bool) -> float:
    """Seconds to write `count` notices (one approver each) and commit them, in batches of 100."""
    db = Database(url)
    started = time.perf_counter()
    try:
        for batch in range(0, count, 100):
            async with db.transaction() as session:
                for n in range(batch, min(batch + 100, count)):
                    who, title = [users[n % len(users)]], f"Approval needed: REQ{n:07d} (step cab)"
                    await notify_users(session, tenant_id=tenant_id, user_ids=who, subject=title, body="Laptop")
                    if slack:
                        subject = Subject(STEP, uuid.uuid4(), "cab")
                        await queue_approval_dms(
                            session, tenant_id=tenant_id, user_ids=who, subject=subject, title=title, body="Laptop",
                            link="/approvals",
                        )  # fmt: skip
    finally:
        await db.dispose()
    return time.perf_counter() - started


def _worker(url: str, slack: SlackStandIn, concurrency: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TENANTPLANE_DATABASE_URL": url,
        "TENANTPLANE_SECRET_KEY": SECRET_KEY,
        "TENANTPLANE_SLACK_API_URL": slack.url,
        "TENANTPLANE_ALLOWED_EGRESS_HOSTS": "127.0.0.1",
        "TENANTPLANE_PUBLIC_URL": "https://plane.bench.example",
        "TENANTPLANE_LOG_LEVEL": "WARNING",
    }
    cmd = [sys.executable, "-m", "tenantplane.cli", "worker", "--concurrency", str(concurrency)]
    return subprocess.Popen(cmd, cwd=ROOT, env=env)


def _wait_sent(url: str, count: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while (conn.execute("SELECT count(*) FROM slack_messages WHERE status = 'sent'").fetchone() or (0,))[0] < count:
            if time.monotonic() > deadline:
                raise RuntimeError("the DMs were not all sent in time")
            time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default=os.environ.get("TENANTPLANE_BENCH_SERVER", DEFAULT_SERVER))
    parser.add_argument("--notices", type=int, default=1000)
    parser.add_argument("--approvers", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    with scratch_database(args.server) as url, running_slack() as slack:
        tenant_id, users = asyncio.run(_setup(url, slack, args.approvers))
        in_app = asyncio.run(_notices(url, tenant_id, users, args.notices, slack=False))
        worker = _worker(url, slack, args.concurrency)
        try:
            started = time.perf_counter()
            queued = asyncio.run(_notices(url, tenant_id, users, args.notices, slack=True))
            _wait_sent(url, args.notices)
            delivered = time.perf_counter() - started
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
        posts = len(slack.of("chat.postMessage"))
    plain = args.notices / in_app
    print(f"\napproval notices: {args.notices}, {args.approvers} approvers, worker concurrency {args.concurrency}")
    print(row("in-app notice (inbox entry)", plain, "notices/s"))
    print(row("in-app + Slack DM queued (committed)", args.notices / queued, "notices/s", ("vs in-app", plain)))
    print(row("in-app + Slack DM sent by the worker", args.notices / delivered, "notices/s", ("vs in-app", plain)))
    print(f"chat.postMessage calls recorded by the stand-in: {posts}")


if __name__ == "__main__":
    main()
