"""Issuing action links with a notice, and opening or using one: the token is the credential, the decision goes
through the owning domain's own rules as the link's person (four-eyes, delegation, quorum, 409 when decided).

Tokens are 32 random bytes (`secrets.token_urlsafe`); only their sha256 is stored. A link is used when its decision
commits (the same transaction), so a refused or failed decision leaves it usable.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.actionlinks import repository as repo
from tenantplane.actionlinks.hooks import kind_of
from tenantplane.actionlinks.models import ActionLink
from tenantplane.actionlinks.schemas import ActionLinkRead, ActionLinkResult, Decision
from tenantplane.identity.auth import Principal
from tenantplane.identity.models import Tenant, User
from tenantplane.kit.errors import DomainError, Forbidden, NotFound
from tenantplane.notifications.actions import Action
from tenantplane.notifications.links import absolute_link, process_public_url, process_settings

CHANNEL = "action_link"
LABELS: dict[Decision, str] = {"approved": "Approve", "rejected": "Reject"}
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


class LinkUsed(DomainError):
    status_code = 410
    problem_type = "action-link-used"
    title = "This link was already used"


class LinkExpired(DomainError):
    status_code = 410
    problem_type = "action-link-expired"
    title = "This link has expired"


class UnknownLink(NotFound):
    problem_type = "action-link-unknown"
    title = "Unknown link"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def page_path(token: str) -> str:
    """The confirmation page of a link in the web UI (opening it decides nothing)."""
    return f"/action/{token}"


async def issue_links(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    subject_type: str,
    subject_id: uuid.UUID,
    user_ids: Sequence[uuid.UUID],
    step_name: str | None = None,
    closes_at: datetime | None = None,
) -> dict[uuid.UUID, list[Action]]:
    """An approve and a reject link for each person, expiring after the TTL setting or when the subject closes
    (`closes_at`, its timeout), whichever is first. Returns the links as notice actions (absolute URLs)."""
    now = datetime.now(UTC)
    expires_at = now + timedelta(seconds=process_settings().action_link_ttl_seconds)
    if closes_at is not None:
        expires_at = min(expires_at, closes_at)
    public_url = process_public_url()
    actions: dict[uuid.UUID, list[Action]] = {}
    for user_id in dict.fromkeys(user_ids):
        for decision, label in LABELS.items():
            token = secrets.token_urlsafe(32)
            session.add(
                ActionLink(
                    id=uuid.uuid4(),
                    tenant_id=tenant_id,
                    token_hash=token_hash(token),
                    subject_type=subject_type,
                    subject_id=subject_id,
                    step_name=step_name,
                    user_id=user_id,
                    decision=decision,
                    expires_at=expires_at,
                )
            )
            url = absolute_link(public_url, page_path(token))
            assert url is not None
            actions.setdefault(user_id, []).append(Action(label, url))
    await session.flush()
    return actions


async def _usable(session: AsyncSession, token: str, *, for_update: bool = False) -> ActionLink:
    """The link a token stands for, if it may still be used; 404 for a token that names none, 410 used/expired."""
    link = await repo.by_token_hash(session, token_hash(token), for_update=for_update) if _TOKEN.match(token) else None
    if link is None:
        raise UnknownLink("This link is not valid: it may be mistyped or cut short. Open the approval in the app.")
    if link.used_at is not None:
        raise LinkUsed(f"This link was already used (at {link.used_at:%Y-%m-%d %H:%M} UTC); it decides only once.")
    if link.expires_at <= datetime.now(UTC):
        raise LinkExpired("This link has expired. Open the approval in the app to decide it.")
    return link


async def _person(session: AsyncSession, link: ActionLink) -> Principal:
    """The link's person as the caller, if they and their tenant are still active."""
    user = await session.get(User, link.user_id)
    tenant = await session.get(Tenant, link.tenant_id)
    if user is None or tenant is None or user.tenant_id != link.tenant_id or not user.is_active or not tenant.is_active:
        raise Forbidden("The person this link was sent to can no longer sign in, so it decides nothing.")
    return Principal(
        kind="user",
        id=user.id,
        label=user.email,
        tenant_id=user.tenant_id,
        roles=frozenset(user.roles),
        via=CHANNEL,
        user=user,
    )


async def open_link(session: AsyncSession, *, token: str) -> ActionLinkRead:
    """What the link would decide, for its confirmation page; decides nothing."""
    link = await _usable(session, token)
    person = await _person(session, link)
    subject = await kind_of(link.subject_type).describe(session, link, True)
    decision: Decision = "approved" if link.decision == "approved" else "rejected"
    return ActionLinkRead(decision=decision, person=person.label, expires_at=link.expires_at, subject=subject)


async def decide_by_link(session: AsyncSession, *, token: str, comment: str | None) -> ActionLinkResult:
    """Decide as the link's person (locks the link first, then the subject), then use up their links to it."""
    link = await _usable(session, token, for_update=True)
    person = await _person(session, link)
    kind = kind_of(link.subject_type)
    status = await kind.decide(session, person, link, comment or None)
    await repo.use_siblings(session, link, datetime.now(UTC))
    subject = await kind.describe(session, link, False)
    decision: Decision = "approved" if link.decision == "approved" else "rejected"
    return ActionLinkResult(decision=decision, status=status, subject=subject)
