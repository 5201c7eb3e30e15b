"""Which hosts a channel may reach: the kit's egress guard applied to SMTP servers, webhooks and Apprise URLs.

Checked when a channel is saved (422 naming the field) and again before every send (allow-lists and DNS change);
the senders then hold the connection itself to the same rules (`checked_transport`, `guarded_sockets`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from apprise.plugins import NotifyBase

from tenantplane.kit.egress import EgressDenied, check_host, check_url
from tenantplane.kit.errors import ValidationFailed
from tenantplane.notifications.channel_config import (
    AppriseConfig,
    ChannelConfig,
    EmailConfig,
    TeamsConfig,
    WebhookConfig,
    apprise_service,
)
from tenantplane.settings import Settings


def apprise_hosts(service: NotifyBase) -> Iterator[tuple[str, str]]:
    """(what, host) for each host an Apprise service will contact that its URL names, read from the plugin's own
    description of its URL: the server of services whose URL templates hold `{host}` (json://, mailto://, ntfy://…)
    and every option that sets a host (`smtp=` of mailto://, which Apprise maps to `smtp_host`).

    Services whose URL has no `{host}` (slack://, tgram://…) put tokens there and reach their vendor's fixed API;
    the send-time socket guard judges those connections.
    """
    plugin = type(service)
    templates: tuple[str, ...] = tuple(plugin.templates)
    options: dict[str, dict[str, Any]] = {**plugin.template_tokens, **plugin.template_args}
    attributes = {"host": "host"} if any("{host}" in t for t in templates) else {}
    for key, spec in options.items():
        target = str(spec.get("map_to", key))
        if target != "host" and target.endswith("_host"):
            attributes[target] = f"{key}="
    for attribute, what in attributes.items():
        value = getattr(service, attribute, None)
        if isinstance(value, str) and value.strip():
            yield what, value


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

    async def check_host(self, host: str, *, field: str, what: str = "") -> None:
        try:
            await check_host(host, operator_allowed=self.operator_allowed, tenant_allowed=self.tenant_allowed)
        except EgressDenied as exc:
            detail = f"{what}: {exc.detail}" if what else exc.detail
            raise EgressDenied(detail, errors=[{"field": field, "message": detail}]) from exc

    async def check(self, config: ChannelConfig) -> None:
        """Raise EgressDenied (422 naming the config field) unless every host the channel talks to is allowed."""
        if isinstance(config, EmailConfig):
            await self.check_host(config.host, field="config.host")
        elif isinstance(config, WebhookConfig | TeamsConfig):
            await self.check_url(config.url, field="config.url")
        elif isinstance(config, AppriseConfig):
            try:
                service = apprise_service(config.url)
            except ValueError as exc:
                raise ValidationFailed.field("config.url", str(exc)) from exc
            for what, host in apprise_hosts(service):
                await self.check_host(host, field="config.url", what=f"the Apprise URL's {what}")
