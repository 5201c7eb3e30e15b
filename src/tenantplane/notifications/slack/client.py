"""Calls to Slack's Web API (slack-sdk's WebClient) at the process's TENANTPLANE_SLACK_API_URL, egress-guarded.

The WebClient connects with urllib itself (no httpx transport to hand it), so each call runs in a thread of its own
under `guarded_sockets`; its own retries are off: the queue's jobs retry (`SlackFailure.permanent` says when not).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tenantplane.kit.egress import guarded_sockets

TIMEOUT_SECONDS = 15
# Errors a retry cannot cure: a wrong token, a missing scope, nobody with that e-mail, a channel that is gone.
PERMANENT_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "users_not_found",
        "user_not_found",
        "channel_not_found",
        "message_not_found",
        "cant_update_message",
        "invalid_blocks",
        "invalid_arguments",
        "expired_trigger_id",
        "invalid_trigger_id",
    }
)


class SlackFailure(Exception):
    """A Web API call that failed: Slack's error code (or the connection's), and whether retrying is pointless."""

    def __init__(self, method: str, error: str, *, permanent: bool) -> None:
        super().__init__(f"Slack {method}: {error}")
        self.method, self.error, self.permanent = method, error, permanent


@dataclass(frozen=True)
class SlackApi:
    """One tenant's bot token at one Web API base URL, and the egress allow-lists its calls are held to."""

    base_url: str
    token: str
    operator_allowed: tuple[str, ...] = ()
    tenant_allowed: tuple[str, ...] = ()

    async def call(self, method: str, **arguments: Any) -> dict[str, Any]:
        """POST `method` with JSON `arguments`; Slack's answer (`ok` true) or a SlackFailure."""
        return await asyncio.to_thread(self._call, method, arguments)

    def _call(self, method: str, arguments: dict[str, Any]) -> dict[str, Any]:
        base = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        client = WebClient(token=self.token, base_url=base, timeout=TIMEOUT_SECONDS, retry_handlers=[])
        with guarded_sockets(operator_allowed=self.operator_allowed, tenant_allowed=self.tenant_allowed) as guard:
            try:
                if method in ("users.lookupByEmail", "users.info"):  # these take form/query arguments only
                    response = client.api_call(method, http_verb="GET", params=arguments)
                else:
                    response = client.api_call(method, json=arguments)
            except SlackApiError as exc:
                error = str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
                raise SlackFailure(method, error, permanent=error in PERMANENT_ERRORS) from exc
            except OSError as exc:
                if guard.refusals:
                    raise SlackFailure(method, f"egress denied: {guard.refusals[0]}", permanent=True) from exc
                raise SlackFailure(method, f"{type(exc).__name__}: {exc}", permanent=False) from exc
        data: dict[str, Any] = dict(response.data) if isinstance(response.data, dict) else {}
        return data
