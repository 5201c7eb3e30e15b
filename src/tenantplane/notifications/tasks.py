"""The `notifications.deliver` job: send one delivery, record the attempt fenced, retry with backoff, then `dead`.

Settings (secret key, operator egress allow-list, public URL of links) are the worker process's own, in the JobContext.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from sqlalchemy import func, update

from tenantplane.identity.models import Tenant
from tenantplane.jobs.registry import JobContext, PermanentFailure, job_handler
from tenantplane.kit.crypto import SecretUnreadable
from tenantplane.kit.errors import DomainError
from tenantplane.notifications import repository as repo
from tenantplane.notifications.actions import unseal_actions
from tenantplane.notifications.channel_config import parse_config, unseal, with_secrets
from tenantplane.notifications.destinations import Egress
from tenantplane.notifications.links import absolute_link
from tenantplane.notifications.models import Delivery
from tenantplane.notifications.senders import Outgoing, scrub, send
from tenantplane.notifications.service import DELIVER

Send = Callable[[], Awaitable[None]]


@job_handler(DELIVER, max_attempts=5, backoff_seconds=30.0)
async def deliver(ctx: JobContext) -> None:
    delivery_id = uuid.UUID(str(ctx.payload["delivery_id"]))
    try:
        send_it = await _prepare(ctx, delivery_id)
        if send_it is None:
            return
        await send_it()
    except Exception as exc:
        final = isinstance(exc, PermanentFailure) or ctx.is_last_attempt
        error = str(exc) if isinstance(exc, PermanentFailure) else f"{type(exc).__name__}: {exc}"
        await _record(ctx, delivery_id, status="dead" if final else "failed", error=error)
        raise
    await _record(ctx, delivery_id, status="sent", error=None)


async def _prepare(ctx: JobContext, delivery_id: uuid.UUID) -> Send | None:
    """What to send where, with the channel's current config; None when there is nothing left to do."""
    if ctx.tenant_id is None:
        raise PermanentFailure("a delivery job must belong to a tenant")
    settings = ctx.settings
    async with ctx.db.transaction() as session:
        delivery = await session.scalar(repo.deliveries_of(ctx.tenant_id).where(Delivery.id == delivery_id))
        if delivery is None:
            raise PermanentFailure(f"the delivery {delivery_id} no longer exists")
        if delivery.status == "sent" or delivery.job_id != ctx.job_id:
            return None  # already sent, or a newer retry owns this delivery
        if delivery.channel_id is None:
            raise PermanentFailure("the channel was deleted")
        channel = await repo.get_channel(session, ctx.tenant_id, delivery.channel_id)
        tenant = await session.get(Tenant, ctx.tenant_id)
        allow_list = tenant.egress_allow_list if tenant else []
        link = absolute_link(settings.resolved_public_url, delivery.link)  # stored as a path: absolute as sent
        secrets: dict[str, Any] = {}
        try:
            actions = unseal_actions(settings.resolved_secret_key, delivery.sealed_actions)
            outgoing = Outgoing(
                delivery.id, channel.name, delivery.destination, delivery.subject, delivery.body, link, actions
            )
            secrets = unseal(settings.resolved_secret_key, channel.secret_config)
            config = parse_config(channel.type, with_secrets(channel.config, secrets))
            egress = Egress.of(settings, allow_list)
            await egress.check(config)
        except (SecretUnreadable, DomainError) as exc:  # unreadable secret, invalid config, egress denied
            reason = getattr(exc, "detail", str(exc))
            if channel.type == "apprise" and "url" in secrets:  # the URL is a secret: so is every piece of it
                reason = scrub(reason, str(secrets["url"]))
            raise PermanentFailure(reason) from exc
    return partial(send, config, outgoing, egress)


async def _record(ctx: JobContext, delivery_id: uuid.UUID, *, status: str, error: str | None) -> None:
    """One attempt's outcome, committed only while this worker still holds the job's lease."""
    values: dict[str, object] = {"status": status, "attempts": Delivery.attempts + 1, "updated_at": func.now()}
    if error is not None:
        values["last_error"] = error[:4000]
    if status == "sent":  # the signed links are in the message now: forget them (a dead one may be retried)
        values["sent_at"], values["sealed_actions"] = func.now(), None
    async with ctx.transaction() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.tenant_id == ctx.tenant_id, Delivery.id == delivery_id, Delivery.job_id == ctx.job_id)
            .values(**values)
        )


from tenantplane.notifications.slack import tasks as _slack_tasks  # noqa: E402, F401  (slack.post, slack.update)
