"""Slack's interactivity requests: verify the signature and its timestamp, map the Slack user to ours by e-mail,
then decide (Approve), open the comment modal (Reject) or decide from its submission, as that user.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import structlog
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.identity.auth import Principal
from tenantplane.identity.repository import find_tenant
from tenantplane.kit.crypto import SecretUnreadable
from tenantplane.kit.errors import DomainError, NotFound, Unauthorized, ValidationFailed
from tenantplane.notifications.slack import repository as repo
from tenantplane.notifications.slack.apps import api_of, signing_secret
from tenantplane.notifications.slack.blocks import (
    APPROVE,
    COMMENT_BLOCK,
    COMMENT_INPUT,
    REJECT,
    REJECT_VIEW,
    reject_modal,
)
from tenantplane.notifications.slack.client import SlackApi, SlackFailure
from tenantplane.notifications.slack.hooks import SlackDecision, decide
from tenantplane.notifications.slack.models import SlackApp, SlackMessage
from tenantplane.settings import Settings

MAX_AGE_SECONDS = 5 * 60  # Slack's own advice: older requests may be replays
log = structlog.get_logger("tenantplane.slack")


class SlackRefused(Unauthorized):
    problem_type = "slack-signature"
    title = "Not a valid Slack request"


@dataclass
class Interaction:
    """One verified interactivity request of one tenant's app."""

    session: AsyncSession
    app: SlackApp
    api: SlackApi
    payload: dict[str, Any]


def verify(app: SlackApp, secret_key: str, body: bytes, timestamp: str | None, signature: str | None) -> None:
    """Slack's v0 signature over the raw body, and a timestamp at most five minutes off (401 otherwise)."""
    if not timestamp or not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_AGE_SECONDS:
        raise SlackRefused("The request's timestamp is missing or more than five minutes off (a replay?).")
    try:
        secret = signing_secret(app, secret_key)
    except SecretUnreadable as exc:
        raise SlackRefused("The tenant's Slack signing secret cannot be read; save it again.") from exc
    if not signature or not SignatureVerifier(secret).is_valid(body, timestamp, signature):
        raise SlackRefused("The request's Slack signature does not match.")


def parse_payload(body: bytes) -> dict[str, Any]:
    try:
        raw = parse_qs(body.decode(), strict_parsing=True)["payload"][0]
        payload = json.loads(raw)
    except (UnicodeDecodeError, ValueError, KeyError) as exc:
        raise ValidationFailed.field("payload", "is not a Slack interactivity payload") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("user"), dict):
        raise ValidationFailed.field("payload", "is not a Slack interactivity payload")
    return payload


async def handle(
    session: AsyncSession, *, tenant_slug: str, body: bytes, headers: dict[str, str], settings: Settings
) -> dict[str, Any] | None:
    """What to answer Slack (a JSON body, or None for an empty 200)."""
    tenant = await find_tenant(session, tenant_slug)
    app = await repo.find_app(session, tenant.id) if tenant else None
    if app is None or not app.enabled:
        raise NotFound("No Slack app is configured for this tenant.")
    verify(
        app,
        settings.resolved_secret_key,
        body,
        headers.get("x-slack-request-timestamp"),
        headers.get("x-slack-signature"),
    )
    interaction = Interaction(session, app, await api_of(session, app, settings), parse_payload(body))
    kind = interaction.payload.get("type")
    if kind == "block_actions":
        return await _button(interaction)
    if kind == "view_submission" and (interaction.payload.get("view") or {}).get("callback_id") == REJECT_VIEW:
        return await _submission(interaction)
    return None  # other interactions (a modal closed, a shortcut) ask nothing of us


async def _message(interaction: Interaction, raw_id: object) -> SlackMessage:
    try:
        message_id = uuid.UUID(str(raw_id))
    except ValueError as exc:
        raise ValidationFailed.field("payload", "names no approval notice") from exc
    message = await repo.find_message(interaction.session, interaction.app.tenant_id, message_id)
    if message is None:
        raise ValidationFailed.field("payload", "names no approval notice of this tenant")
    return message


async def _button(interaction: Interaction) -> dict[str, Any] | None:
    action = (interaction.payload.get("actions") or [{}])[0]
    if action.get("action_id") not in (APPROVE, REJECT):
        return None
    message = await _message(interaction, action.get("value"))
    slack_id = str(interaction.payload["user"].get("id", ""))
    actor, refusal = await _actor(interaction, slack_id)
    if actor is not None and action["action_id"] == APPROVE:
        refusal = await _decide(interaction, SlackDecision(actor, message, "approved", None))
    elif actor is not None:
        view = reject_modal(str(message.id), message.title)
        try:
            await interaction.api.call(
                "views.open", trigger_id=str(interaction.payload.get("trigger_id", "")), view=view
            )
        except SlackFailure as exc:
            refusal = f"The comment dialog could not be opened ({exc.error}); try again."
    if refusal is None:
        return None
    await _tell(interaction, message, slack_id, refusal)
    return {"response_type": "ephemeral", "replace_original": False, "text": refusal}


async def _submission(interaction: Interaction) -> dict[str, Any] | None:
    view = interaction.payload["view"]
    message = await _message(interaction, view.get("private_metadata"))
    values = ((view.get("state") or {}).get("values") or {}).get(COMMENT_BLOCK) or {}
    comment = str((values.get(COMMENT_INPUT) or {}).get("value") or "").strip()[:4000] or None
    actor, refusal = await _actor(interaction, str(interaction.payload["user"].get("id", "")))
    if actor is not None and comment is None:
        refusal = "A rejection needs a comment."
    if actor is not None and refusal is None:
        refusal = await _decide(interaction, SlackDecision(actor, message, "rejected", comment))
    if refusal is None:
        return None  # the modal closes; the message is updated by the decision's update job
    return {"response_action": "errors", "errors": {COMMENT_BLOCK: refusal[:150]}}


async def _decide(interaction: Interaction, decision: SlackDecision) -> str | None:
    """Decide in a savepoint: a refusal (four-eyes, not an approver, decided already) leaves nothing behind."""
    try:
        async with interaction.session.begin_nested():
            await decide(interaction.session, decision)
    except DomainError as exc:
        log.info("slack decision refused", message=str(decision.message.id), reason=exc.detail)
        return str(exc.detail)
    return None


async def _actor(interaction: Interaction, slack_id: str) -> tuple[Principal | None, str | None]:
    """Our active user this Slack user is (the cached id, else their Slack profile's e-mail), or why there is none."""
    tenant_id, session = interaction.app.tenant_id, interaction.session
    user = await repo.user_of_slack_id(session, tenant_id, slack_id)
    if user is None and slack_id:
        try:
            info = await interaction.api.call("users.info", user=slack_id)
        except SlackFailure as exc:
            if exc.error not in ("user_not_found", "users_not_found"):
                return None, f"Your Slack account could not be looked up ({exc.error}); try again."
            info = {}
        email = str((info.get("user") or {}).get("profile", {}).get("email") or "")
        user = await repo.user_by_email(session, tenant_id, email) if email else None
        if user is not None:
            await repo.remember_slack_id(session, tenant_id, user.id, slack_id)
    if user is None or not user.is_active:
        return None, "No active Tenant Plane user has your Slack account's e-mail address, so nothing was decided."
    principal = Principal(
        kind="user",
        id=user.id,
        label=user.email,
        tenant_id=tenant_id,
        roles=frozenset(user.roles),
        via="slack",
        user=user,
    )
    return principal, None


async def _tell(interaction: Interaction, message: SlackMessage, slack_id: str, text: str) -> None:
    """Say why nothing was decided, to that user only (best effort: the HTTP answer says it too)."""
    if message.channel is None or not slack_id:
        return
    try:
        await interaction.api.call("chat.postEphemeral", channel=message.channel, user=slack_id, text=text)
    except SlackFailure as exc:
        log.info("slack ephemeral failed", error=exc.error)
