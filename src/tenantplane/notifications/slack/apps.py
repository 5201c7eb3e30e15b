"""A tenant's Slack app: store it (secrets encrypted, purpose "slack"), read it, test its token with `auth.test`.

The Web API base URL is the process's (TENANTPLANE_SLACK_API_URL); the egress rules are the operator's and the tenant's.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.identity.auth import Principal
from tenantplane.identity.models import Tenant
from tenantplane.kit.crypto import decrypt, encrypt
from tenantplane.kit.errors import NotFound, ValidationFailed
from tenantplane.notifications.slack.client import SlackApi
from tenantplane.notifications.slack.models import SlackApp
from tenantplane.notifications.slack.repository import find_app
from tenantplane.notifications.slack.schemas import SlackAppWrite
from tenantplane.settings import Settings

CRYPTO_PURPOSE = "slack"


async def get_app(session: AsyncSession, tenant_id: uuid.UUID) -> SlackApp:
    app = await find_app(session, tenant_id)
    if app is None:
        raise NotFound("This tenant has no Slack app configured.")
    return app


async def put_app(session: AsyncSession, *, actor: Principal, data: SlackAppWrite, secret_key: str) -> SlackApp:
    """Create or replace the app; a new app needs both the bot token and the signing secret (422 naming each)."""
    app = await find_app(session, actor.tenant)
    if app is None:
        for name in ("bot_token", "signing_secret"):
            if getattr(data, name) is None:
                raise ValidationFailed.field(name, "a new Slack app needs its bot token and its signing secret")
        app = SlackApp(id=uuid.uuid4(), tenant_id=actor.tenant)
        session.add(app)
    app.enabled = data.enabled
    if data.bot_token is not None:
        app.bot_token_ciphertext = encrypt(secret_key, data.bot_token, purpose=CRYPTO_PURPOSE)
        app.team_id = app.team_name = None  # another token may be another workspace: `test` fills them in again
    if data.signing_secret is not None:
        app.signing_secret_ciphertext = encrypt(secret_key, data.signing_secret, purpose=CRYPTO_PURPOSE)
    await session.flush()
    await record_event(
        session,
        actor=actor,
        action="slack_app.saved",
        object_type="slack_app",
        object_id=app.id,
        summary={
            "enabled": app.enabled,
            "bot_token_changed": data.bot_token is not None,
            "signing_secret_changed": data.signing_secret is not None,
        },
    )
    return app


async def delete_app(session: AsyncSession, *, actor: Principal) -> None:
    app = await get_app(session, actor.tenant)
    await session.delete(app)
    await session.flush()
    await record_event(
        session, actor=actor, action="slack_app.deleted", object_type="slack_app", object_id=app.id, summary={}
    )


def bot_token(app: SlackApp, secret_key: str) -> str:
    return decrypt(secret_key, app.bot_token_ciphertext, purpose=CRYPTO_PURPOSE)


def signing_secret(app: SlackApp, secret_key: str) -> str:
    return decrypt(secret_key, app.signing_secret_ciphertext, purpose=CRYPTO_PURPOSE)


async def api_of(session: AsyncSession, app: SlackApp, settings: Settings) -> SlackApi:
    """The Web API as this tenant's bot, held to the operator's and the tenant's egress allow-lists."""
    tenant = await session.get(Tenant, app.tenant_id)
    operator = tuple(h.strip() for h in settings.allowed_egress_hosts.split(",") if h.strip())
    tenant_allowed = tuple(tenant.egress_allow_list) if tenant else ()
    return SlackApi(settings.slack_api_url, bot_token(app, settings.resolved_secret_key), operator, tenant_allowed)
