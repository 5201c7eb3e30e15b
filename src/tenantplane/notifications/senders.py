"""The transports: SMTP (smtplib in a thread), webhooks (httpx), Apprise (in a thread). Only I/O lives here.

Every connection is held to the egress rules as it is made: webhooks through `checked_transport`, SMTP and Apprise
(whose libraries resolve and connect themselves) through `guarded_sockets` on their thread.

`DeliveryFailed` is worth retrying; `PermanentFailure` (from the job registry) is not. Messages never carry secrets.
"""

from __future__ import annotations

import asyncio
import logging
import re
import smtplib
import ssl
import threading
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import urlsplit

import apprise
import httpx

from tenantplane import __version__
from tenantplane.jobs.registry import PermanentFailure
from tenantplane.kit.egress import checked_transport, denial_of, guarded_sockets
from tenantplane.notifications.actions import Action, actions_text
from tenantplane.notifications.channel_config import (
    MASK,
    AppriseConfig,
    ChannelConfig,
    EmailConfig,
    TeamsConfig,
    WebhookConfig,
    apprise_service,
)
from tenantplane.notifications.destinations import Egress
from tenantplane.notifications.teams import adaptive_card

SMTP_TIMEOUT_SECONDS = 20.0
HTTP_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
USER_AGENT = f"TenantPlane/{__version__}"


class DeliveryFailed(Exception):
    """This attempt failed in a way a later attempt may not (network, 4xx/5xx answers, busy servers)."""


@dataclass(frozen=True)
class Outgoing:
    """One message on its way to one destination."""

    delivery_id: uuid.UUID
    channel_name: str
    destination: str
    subject: str
    body: str
    link: str | None  # absolute (public URL + path)
    actions: tuple[Action, ...] = ()  # signed links (Approve / Reject), absolute

    @property
    def text(self) -> str:
        text = f"{self.body}\n\n{actions_text(self.actions)}" if self.actions else self.body
        return f"{text}\n\nOpen: {self.link}" if self.link else text


async def send(config: ChannelConfig, outgoing: Outgoing, egress: Egress) -> None:
    if isinstance(config, EmailConfig):
        await send_email(config, outgoing, egress)
    elif isinstance(config, WebhookConfig):
        await send_webhook(config, outgoing, egress)
    elif isinstance(config, AppriseConfig):
        await send_apprise(config, outgoing, egress)
    elif isinstance(config, TeamsConfig):
        await send_teams(config, outgoing, egress)
    else:
        raise PermanentFailure("in-app notifications are written when they are sent, not delivered by a job")


def _email(config: EmailConfig, outgoing: Outgoing) -> EmailMessage:
    message = EmailMessage()
    message["From"] = str(config.sender)
    message["To"] = outgoing.destination
    message["Subject"] = outgoing.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=outgoing.delivery_id.hex, domain=str(config.sender).split("@")[-1])
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(outgoing.text)
    return message


def _smtp_send(config: EmailConfig, outgoing: Outgoing, egress: Egress) -> None:
    """Send in this thread with its sockets held to the egress rules (smtplib resolves the host itself)."""
    with guarded_sockets(operator_allowed=egress.operator_allowed, tenant_allowed=egress.tenant_allowed) as guard:
        try:
            _smtp_deliver(config, outgoing)
        except OSError as exc:
            if guard.refusals:
                raise PermanentFailure(f"SMTP {config.host}: egress denied: {guard.refusals[0]}") from exc
            raise


def _smtp_deliver(config: EmailConfig, outgoing: Outgoing) -> None:
    port, context = config.resolved_port, ssl.create_default_context()
    if config.tls == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(config.host, port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
    else:
        smtp = smtplib.SMTP(config.host, port, timeout=SMTP_TIMEOUT_SECONDS)
    with smtp:
        smtp.ehlo()
        if config.tls == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        if config.username:
            smtp.login(config.username, config.password or "")
        smtp.send_message(_email(config, outgoing), from_addr=str(config.sender), to_addrs=[outgoing.destination])


async def send_email(config: EmailConfig, outgoing: Outgoing, egress: Egress) -> None:
    where = f"SMTP {config.host}:{config.resolved_port}"
    try:
        await asyncio.to_thread(_smtp_send, config, outgoing, egress)
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        reason = f"{where} answered {exc.smtp_code} {text}"
        raise (PermanentFailure(reason) if exc.smtp_code >= 500 else DeliveryFailed(reason)) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        reason = f"{where} refused the recipient {outgoing.destination} ({', '.join(map(str, codes))})"
        raise (PermanentFailure(reason) if all(c >= 500 for c in codes) else DeliveryFailed(reason)) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"{where}: {type(exc).__name__}: {exc}") from exc


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{parts.path}"


async def send_webhook(config: WebhookConfig, outgoing: Outgoing, egress: Egress) -> None:
    """POST the message as JSON; anything but a 2xx answer is a failure. The connection is checked against the
    egress allow-lists when it is made, to the addresses checked (no proxies, no second DNS lookup)."""
    payload: dict[str, Any] = {
        "subject": outgoing.subject,
        "body": outgoing.body,
        "link": outgoing.link,
        "channel": outgoing.channel_name,
        "delivery_id": str(outgoing.delivery_id),
    }
    await _post_json(config.url, payload, config.headers, egress)


async def send_teams(config: TeamsConfig, outgoing: Outgoing, egress: Egress) -> None:
    """POST the notice as an Adaptive Card to the Teams workflow webhook (the egress rules hold as for webhooks)."""
    card = adaptive_card(
        subject=outgoing.subject,
        body=outgoing.body,
        link=outgoing.link,
        actions=outgoing.actions,
        recipient=outgoing.destination,
    )
    await _post_json(config.url, card, {}, egress)


async def _post_json(url: str, payload: dict[str, Any], extra_headers: dict[str, str], egress: Egress) -> None:
    where = _without_query(url)
    headers = {**extra_headers, "User-Agent": USER_AGENT}
    try:
        transport = checked_transport(operator_allowed=egress.operator_allowed, tenant_allowed=egress.tenant_allowed)
        async with httpx.AsyncClient(transport=transport, timeout=HTTP_TIMEOUT, follow_redirects=False) as client:
            response = await client.post(url, json=payload, headers=headers)
    except httpx.InvalidURL as exc:
        raise PermanentFailure(f"{where}: the URL cannot be sent to ({exc})") from exc
    except httpx.HTTPError as exc:
        if denial_of(exc) is not None:  # refused at connect (the name now resolves elsewhere): for good
            raise PermanentFailure(f"{where}: {exc}") from exc
        raise DeliveryFailed(f"{where}: {type(exc).__name__}: {exc}") from exc
    if not response.is_success:
        raise DeliveryFailed(f"{where} answered HTTP {response.status_code}: {response.text[:300]}")


class _ThisThreadsLog(logging.Handler):
    """Collects Apprise's warnings raised by this thread only (other sends may run at the same time)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.thread = threading.get_ident()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.lines.append(record.getMessage())


def scrub(text: str, url: str) -> str:
    """Hide the Apprise URL and every token-like piece of it from a message that will be shown."""
    pieces = sorted({p for p in re.split(r"[/:@?&=#]+", url) if len(p) >= 6} | {url}, key=len, reverse=True)
    for piece in pieces:
        text = text.replace(piece, MASK)
    return text


def _apprise_send(config: AppriseConfig, outgoing: Outgoing, egress: Egress) -> str | None:
    """Send in this thread (async_mode off, so Apprise's log lines and sockets are this thread's); the error, or
    None. Every name Apprise resolves and every address it connects to is checked as it happens."""
    try:
        service = apprise.Apprise(asset=apprise.AppriseAsset(async_mode=False))
        service.add(apprise_service(config.url))
    except ValueError as exc:
        raise PermanentFailure(f"Apprise ({config.scheme}://): the URL {exc}") from exc
    capture = _ThisThreadsLog()
    logger = logging.getLogger("apprise")
    logger.addHandler(capture)
    try:
        with guarded_sockets(operator_allowed=egress.operator_allowed, tenant_allowed=egress.tenant_allowed) as guard:
            sent = service.notify(
                body=outgoing.text or outgoing.subject, title=outgoing.subject, body_format=apprise.NotifyFormat.TEXT
            )
    finally:
        logger.removeHandler(capture)
    if guard.refusals:  # refused for good: retrying would meet the same rule
        raise PermanentFailure(f"Apprise ({config.scheme}://): egress denied: {scrub(guard.refusals[0], config.url)}")
    if sent:
        return None
    return "; ".join(capture.lines[-3:]) or "the service did not accept the notification"


async def send_apprise(config: AppriseConfig, outgoing: Outgoing, egress: Egress) -> None:
    error = await asyncio.to_thread(_apprise_send, config, outgoing, egress)
    if error is not None:
        raise DeliveryFailed(f"Apprise ({config.scheme}://): {scrub(error, config.url)}"[:2000])
