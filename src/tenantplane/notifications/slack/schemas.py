"""API shapes of Slack: the app settings (token and signing secret write-only) and the connection test's answer.

Slack's own payloads (interactivity) are read in `interactivity.py`, not here: they are not our API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints

from tenantplane.kit.schemas import InputSchema, ReadSchema

BotToken = Annotated[str, StringConstraints(min_length=10, max_length=500, pattern=r"^xox[bp]-[A-Za-z0-9-]+$")]
SigningSecret = Annotated[str, StringConstraints(min_length=8, max_length=200, pattern=r"^[A-Za-z0-9]+$")]


class SlackAppWrite(InputSchema):
    """Create or replace the tenant's Slack app; a token or secret left out keeps the stored one."""

    enabled: bool = True
    bot_token: BotToken | None = None
    signing_secret: SigningSecret | None = None


class SlackAppRead(ReadSchema):
    enabled: bool
    has_bot_token: bool
    has_signing_secret: bool
    team_id: str | None
    team_name: str | None
    interactivity_url: str
    updated_at: datetime


class SlackConnectionTest(ReadSchema):
    """What `auth.test` said of the bot token: the workspace and bot, or Slack's error."""

    ok: bool
    team_id: str | None = None
    team: str | None = None
    bot_user_id: str | None = None
    error: str | None = None
