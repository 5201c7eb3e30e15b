"""HTTP API of Slack: the tenant admin's app settings and `auth.test`, and the public interactivity endpoint Slack
calls (its request signature is the credential; the path names the tenant by slug).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from tenantplane.identity import repository as identity_repo
from tenantplane.identity.auth import Principal, require
from tenantplane.identity.permissions import Permission
from tenantplane.kit.crypto import SecretUnreadable
from tenantplane.kit.db import SessionDep
from tenantplane.kit.openapi import problems
from tenantplane.notifications.slack import apps, interactivity
from tenantplane.notifications.slack.client import SlackFailure
from tenantplane.notifications.slack.models import SlackApp
from tenantplane.notifications.slack.schemas import SlackAppRead, SlackAppWrite, SlackConnectionTest
from tenantplane.settings import Settings

router = APIRouter(tags=["slack"])
SlackAdmin = Annotated[Principal, Depends(require(Permission.CHANNELS_MANAGE))]
INTERACTIVITY = "/api/slack/interactivity/{tenant_slug}"


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _read(request: Request, app: SlackApp, slug: str) -> SlackAppRead:
    base = _settings(request).public_url or str(request.base_url).rstrip("/")
    return SlackAppRead(
        enabled=app.enabled,
        has_bot_token=bool(app.bot_token_ciphertext),
        has_signing_secret=bool(app.signing_secret_ciphertext),
        team_id=app.team_id,
        team_name=app.team_name,
        interactivity_url=base.rstrip("/") + INTERACTIVITY.format(tenant_slug=slug),
        updated_at=app.updated_at,
    )


@router.get("/api/slack/app", response_model=SlackAppRead, responses=problems(404))
async def read_app(request: Request, principal: SlackAdmin, session: SessionDep) -> SlackAppRead:
    app = await apps.get_app(session, principal.tenant)
    tenant = await identity_repo.get_tenant(session, principal.tenant)
    return _read(request, app, tenant.slug)


@router.put("/api/slack/app", response_model=SlackAppRead)
async def put_app(request: Request, body: SlackAppWrite, principal: SlackAdmin, session: SessionDep) -> SlackAppRead:
    """Create or replace the tenant's Slack app; the bot token and signing secret are write-only (omit to keep)."""
    app = await apps.put_app(session, actor=principal, data=body, secret_key=_settings(request).resolved_secret_key)
    tenant = await identity_repo.get_tenant(session, principal.tenant)
    return _read(request, app, tenant.slug)


@router.delete("/api/slack/app", status_code=204, responses=problems(404))
async def delete_app(principal: SlackAdmin, session: SessionDep) -> Response:
    await apps.delete_app(session, actor=principal)
    return Response(status_code=204)


@router.post("/api/slack/app/test", response_model=SlackConnectionTest, responses=problems(404))
async def test_app(request: Request, principal: SlackAdmin, session: SessionDep) -> SlackConnectionTest:
    """Call `auth.test` with the stored bot token: which workspace and bot it is (remembered), or Slack's error."""
    app = await apps.get_app(session, principal.tenant)
    try:
        answer = await (await apps.api_of(session, app, _settings(request))).call("auth.test")
    except SecretUnreadable:
        return SlackConnectionTest(ok=False, error="the stored bot token cannot be decrypted; save it again")
    except SlackFailure as exc:
        return SlackConnectionTest(ok=False, error=exc.error)
    app.team_id, app.team_name = answer.get("team_id"), answer.get("team")
    await session.flush()
    return SlackConnectionTest(ok=True, team_id=app.team_id, team=app.team_name, bot_user_id=answer.get("user_id"))


@router.post(INTERACTIVITY, responses=problems(401, 404, 422), response_model=None)
async def slack_interactivity(tenant_slug: str, request: Request, session: SessionDep) -> Response:
    """Slack's button clicks and modal submissions, verified by Slack's request signature (no sign-in)."""
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    answer = await interactivity.handle(
        session, tenant_slug=tenant_slug, body=body, headers=headers, settings=_settings(request)
    )
    return Response(status_code=200) if answer is None else JSONResponse(answer)
