"""Which hosts a channel may reach: the kit's egress guard applied to SMTP servers, webhooks and Apprise URLs.

Checked when a channel is saved (422 naming the field) and again before every send (allow-lists and DNS change).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

import apprise

from tenantplane.kit.egress import EgressDenied, check_url
from tenantplane.notifications.channel_config import AppriseConfig, ChannelConfig, EmailConfig, WebhookConfig
from tenantplane.settings import Settings


def _names_a_host(host: str) -> bool:
    """True for host names and addresses; Apprise puts bare tokens (Slack, Telegram ids) where the host goes."""
    if host == "localhost" or "." in host or ":" in host:
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Egress:
    """The operator's allow-list for private addresses, and the tenant's own allow-list (empty = no extra limit)."""

    operator_allowed: tuple[str, ...]
    tenant_allowed: tuple[str, ...] = ()

    @classmethod
    def of(cls, settings: Settings, tenant_allowed: Iterable[str]) -> Egress:
        operator = tuple(h.strip() for h in settings.allowed_egress_hosts.split(",") if h.strip())
        return cls(operator, tuple(tenant_allowed))

    async def check_url(self, url: str, *, field: str) -> None:
        try:
            await check_url(url, operator_allowed=self.operator_allowed, tenant_allowed=self.tenant_allowed)
        except EgressDenied as exc:
            raise EgressDenied(exc.detail, errors=[{"field": field, "message": exc.detail}]) from exc

    async def check_host(self, host: str, port: int | None, *, field: str) -> None:
        literal = f"[{host}]" if ":" in host else host
        await self.check_url(f"http://{literal}{f':{port}' if port else ''}/", field=field)

    async def check(self, config: ChannelConfig) -> None:
        """Raise EgressDenied (422 naming the config field) unless every host the channel talks to is allowed."""
        if isinstance(config, EmailConfig):
            await self.check_host(config.host, config.resolved_port, field="config.host")
        elif isinstance(config, WebhookConfig):
            await self.check_url(config.url, field="config.url")
        elif isinstance(config, AppriseConfig):
            service = apprise.Apprise.instantiate(config.url)
            host = str(getattr(service, "host", "") or "").lower()
            if host and _names_a_host(host):
                await self.check_host(host, getattr(service, "port", None), field="config.url")
