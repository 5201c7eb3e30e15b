"""Helpers of the action-link tests: the links an approver's e-mail carries, and links minted straight for a subject.

E-mail goes through a real SMTP server (aiosmtpd) and the in-process worker; minted links use the service itself.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from tenantplane.actionlinks.service import issue_links
from tests.api.conftest import Actor, TenantContext
from tests.api.test_notifications_delivery import MailServer
from tests.jobs.conftest import wait_for

LINK = re.compile(r"^(Approve|Reject): (\S+)\r?$", re.MULTILINE)


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


async def mail_channel(client: httpx.AsyncClient, t: TenantContext, smtp: MailServer) -> None:
    config = {"host": "127.0.0.1", "port": smtp.port, "tls": "none", "from": "plane@example.com"}
    body = {"name": "mail", "type": "email", "config": config, "default": True}
    response = await client.post("/api/notifications/channels", json=body, headers=t.admin.headers)
    assert response.status_code == 201, response.text


def mails_to(smtp: MailServer, email: str) -> list[str]:
    return [str(message.get_payload(decode=True).decode()) for _, rcpts, message in smtp.messages if email in rcpts]


async def mailed_links(smtp: MailServer, email: str, count: int = 1) -> dict[str, str]:
    """The Approve / Reject URLs of the `count`-th e-mail to `email` (waits for it)."""
    await wait_for(lambda: len(mails_to(smtp, email)) >= count)
    return dict(LINK.findall(mails_to(smtp, email)[count - 1]))


async def mint(
    app: FastAPI, t: TenantContext, subject_type: str, subject_id: str, user: str, step_name: str | None = None
) -> dict[str, str]:
    """Approve / reject tokens for `user` on a subject, as a notice would carry them."""
    async with app.state.db.transaction() as session:
        actions = await issue_links(
            session,
            tenant_id=uuid.UUID(t.id),
            subject_type=subject_type,
            subject_id=uuid.UUID(subject_id),
            user_ids=[uuid.UUID(user)],
            step_name=step_name,
        )
    return {a.label: token_of(a.url) for a in actions[uuid.UUID(user)]}


async def open_link(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get(f"/api/action-links/{token}")


async def use_link(client: httpx.AsyncClient, token: str, comment: str | None = None, **headers: str) -> httpx.Response:
    return await client.post(f"/api/action-links/{token}", json={"comment": comment}, headers=headers)


async def instance_of(actor: Actor, instance_id: str) -> dict[str, Any]:
    response = await actor.tenant.client.get(
        f"/api/workflows/instances/{instance_id}", headers=actor.tenant.admin.headers
    )
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found
