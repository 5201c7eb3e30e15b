"""The Slack jobs: `slack.post` sends one approval DM (finding the Slack user by e-mail), `slack.update` its outcome.

Failures retry with the queue's backoff; a failure no retry cures (bad token, nobody with that e-mail) is final.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update

from tenantplane.identity.models import User
from tenantplane.jobs.registry import JobContext, PermanentFailure, job_handler
from tenantplane.kit.crypto import SecretUnreadable
from tenantplane.notifications.links import absolute_link
from tenantplane.notifications.slack import repository as repo
from tenantplane.notifications.slack.apps import api_of
from tenantplane.notifications.slack.blocks import notice_blocks, outcome_text
from tenantplane.notifications.slack.client import SlackApi, SlackFailure
from tenantplane.notifications.slack.models import SlackMessage
from tenantplane.notifications.slack.notices import POST_JOB, UPDATE_JOB, queue_update


async def _load(ctx: JobContext) -> tuple[SlackMessage, SlackApi, str | None, str] | None:
    """The message, the tenant's Web API, the cached Slack id and e-mail of its user; None when nothing is to do."""
    if ctx.tenant_id is None:
        raise PermanentFailure("a Slack job must belong to a tenant")
    message_id = uuid.UUID(str(ctx.payload["message_id"]))
    async with ctx.db.transaction() as session:
        message = await repo.find_message(session, ctx.tenant_id, message_id)
        if message is None:
            return None
        app = await repo.find_app(session, ctx.tenant_id)
        if app is None or not app.enabled:
            raise PermanentFailure("the tenant's Slack app is not configured or is off")
        try:
            api = await api_of(session, app, ctx.settings)
        except SecretUnreadable as exc:
            raise PermanentFailure("the Slack bot token cannot be decrypted; save it again") from exc
        user = await session.get(User, message.user_id)
        cached = await repo.slack_id_of(session, ctx.tenant_id, message.user_id)
        session.expunge(message)
    return message, api, cached, user.email if user else ""


def _content(ctx: JobContext, message: SlackMessage) -> dict[str, Any]:
    link = absolute_link(ctx.settings.resolved_public_url, message.link)
    text = message.title if message.outcome is None else f"{message.title}: {outcome_text(message.outcome)}"
    return {"text": text, "blocks": notice_blocks(str(message.id), message.title, message.body, link, message.outcome)}


@job_handler(POST_JOB, max_attempts=5, backoff_seconds=10.0)
async def post_notice(ctx: JobContext) -> None:
    try:
        loaded = await _load(ctx)
    except PermanentFailure as exc:  # no app, app off, unreadable token: the DM is dead, and says why
        await _record(ctx, uuid.UUID(str(ctx.payload["message_id"])), {"status": "dead", "last_error": str(exc)})
        raise
    if loaded is None:
        return
    message, api, slack_id, email = loaded
    if message.status == "sent" or message.job_id != ctx.job_id:
        return
    try:
        if slack_id is None:
            found = await api.call("users.lookupByEmail", email=email)
            slack_id = str(found["user"]["id"])
            await _remember(ctx, message.user_id, slack_id)
        answer = await api.call("chat.postMessage", channel=slack_id, **_content(ctx, message))
    except SlackFailure as exc:
        final = exc.permanent or ctx.is_last_attempt
        await _record(ctx, message.id, {"status": "dead" if final else "failed", "last_error": str(exc)[:4000]})
        if exc.permanent:
            raise PermanentFailure(str(exc)) from exc
        raise
    sent = {"status": "sent", "channel": str(answer.get("channel")), "ts": str(answer.get("ts"))}
    await _record(ctx, message.id, {**sent, "last_error": None, "sent_at": datetime.now(UTC)})


async def _remember(ctx: JobContext, user_id: uuid.UUID, slack_id: str) -> None:
    """Cache which Slack user our user is (the interactivity endpoint maps back through it)."""
    assert ctx.tenant_id is not None
    async with ctx.transaction() as session:
        await repo.remember_slack_id(session, ctx.tenant_id, user_id, slack_id)


async def _record(ctx: JobContext, message_id: uuid.UUID, values: dict[str, Any]) -> None:
    """One attempt's outcome, fenced by the lease; a message decided meanwhile gets its update job now."""
    async with ctx.transaction() as session:
        changed = await session.scalar(
            update(SlackMessage)
            .where(SlackMessage.tenant_id == ctx.tenant_id, SlackMessage.id == message_id)
            .values(**values, attempts=SlackMessage.attempts + 1)
            .returning(SlackMessage)
        )
        if changed is not None and values.get("status") == "sent" and changed.outcome is not None:
            await queue_update(session, changed)


@job_handler(UPDATE_JOB, max_attempts=5, backoff_seconds=10.0)
async def update_notice(ctx: JobContext) -> None:
    loaded = await _load(ctx)
    if loaded is None:
        return
    message, api, _, _ = loaded
    if message.channel is None or message.ts is None:
        return  # never sent: the post job sends the outcome itself
    try:
        await api.call("chat.update", channel=message.channel, ts=message.ts, **_content(ctx, message))
    except SlackFailure as exc:
        if exc.permanent:
            await _record(ctx, message.id, {"last_error": str(exc)[:4000]})
            raise PermanentFailure(str(exc)) from exc
        raise
