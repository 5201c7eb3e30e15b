"""Per-type channel configuration: validation (422 naming `config.<field>`), secret parts and their masks.

A config is split into a public part (stored as JSON, returned) and a secret part (stored encrypted, never returned).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import apprise
import httpx
from apprise.plugins import NotifyBase
from pydantic import ConfigDict, EmailStr, Field, StringConstraints, ValidationError, field_validator

from tenantplane.kit import emails as _emails  # noqa: F401  internal domains are addresses too
from tenantplane.kit.crypto import decrypt, encrypt
from tenantplane.kit.errors import ValidationFailed
from tenantplane.kit.schemas import InputSchema

MASK = "********"
CRYPTO_PURPOSE = "channels"
_CREDENTIAL_HEADER = re.compile(r"authorization|cookie|token|secret|key|auth|password|passwd|signature|session", re.I)
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


def http_url(value: str) -> str:
    """`value` if it is an http(s) URL the senders' client can parse, else ValueError (a 422 on the field)."""
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError("must be an http:// or https:// URL")
    try:  # what the sender's client cannot parse ("http://[::1", "http://0177.0.0.1/") is refused now
        httpx.URL(value)
    except httpx.InvalidURL as exc:
        raise ValueError(f"is not a URL the webhook can be sent to ({exc})") from exc
    return value


class _Config(InputSchema):
    model_config = ConfigDict(populate_by_name=True)


class EmailConfig(_Config):
    """An SMTP server; `to` are the default recipients when a notification names no users."""

    host: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    port: int | None = Field(default=None, ge=1, le=65535)
    tls: Literal["none", "starttls", "ssl"] = "starttls"
    username: Annotated[str, StringConstraints(max_length=320)] | None = None
    password: Annotated[str, StringConstraints(max_length=1024, strip_whitespace=False)] | None = None
    sender: EmailStr = Field(alias="from")
    to: list[EmailStr] = Field(default_factory=list, max_length=100)

    @property
    def resolved_port(self) -> int:
        return self.port or {"none": 25, "starttls": 587, "ssl": 465}[self.tls]


class WebhookConfig(_Config):
    """An HTTP endpoint that receives each notification as a JSON POST."""

    url: Text
    method: Literal["POST"] = "POST"
    headers: dict[str, Annotated[str, StringConstraints(max_length=4000)]] = Field(default_factory=dict, max_length=50)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return http_url(value)

    @field_validator("headers")
    @classmethod
    def _header_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name, header in value.items():
            if not _HEADER_NAME.match(name) or name.lower() in ("content-type", "content-length", "host"):
                raise ValueError(f"'{name}' is not a header this channel may set")
            if "\r" in header or "\n" in header:
                raise ValueError(f"the value of '{name}' must be one line")
        return value


class AppriseConfig(_Config):
    """Any Apprise URL (Slack, Teams, PagerDuty, json://…); it embeds tokens, so all of it is secret."""

    url: Text

    @field_validator("url")
    @classmethod
    def _apprise_url(cls, value: str) -> str:
        apprise_service(value)
        return value

    @property
    def scheme(self) -> str:
        return self.url.split("://", 1)[0].lower()


def apprise_service(url: str) -> NotifyBase:
    """The one Apprise service a channel's URL names, parsed by Apprise itself exactly as the sender will.

    `Apprise.add` splits a string on spaces and commas into several URLs, so a second URL could hide behind the
    first: a channel holds exactly one. Raises ValueError (a 422 on `config.url`) for anything else.
    """
    services = apprise.Apprise(asset=apprise.AppriseAsset(async_mode=False))
    try:
        services.add(url)
    except Exception as exc:  # a plugin's parser may raise on input it does not expect; never a 500
        raise ValueError("is not a URL any Apprise service understands") from exc
    found = list(services)
    if not found:
        raise ValueError("is not a URL any Apprise service understands")
    if len(found) > 1:
        raise ValueError("must be a single Apprise URL (make one channel for each destination)")
    service: NotifyBase = found[0]
    return service


class TeamsConfig(_Config):
    """A Microsoft Teams workflow webhook ("When a Teams webhook request is received"): approval notices are posted
    to it as Adaptive Cards with Approve / Reject buttons. Its URL carries a signature, so all of it is secret."""

    url: Text

    @field_validator("url")
    @classmethod
    def _https_url(cls, value: str) -> str:
        return http_url(value)


class InAppConfig(_Config):
    """Inboxes: these users, and the members of these groups."""

    users: list[uuid.UUID] = Field(default_factory=list, max_length=500)
    groups: list[uuid.UUID] = Field(default_factory=list, max_length=100)


ChannelConfig = EmailConfig | WebhookConfig | AppriseConfig | InAppConfig | TeamsConfig
CONFIG_TYPES: dict[str, type[_Config]] = {
    "email": EmailConfig,
    "webhook": WebhookConfig,
    "apprise": AppriseConfig,
    "in_app": InAppConfig,
    "teams": TeamsConfig,
}


def parse_config(channel_type: str, raw: dict[str, Any]) -> ChannelConfig:
    """Validate a config for its type; every problem is named `config.<field>`."""
    try:
        parsed = CONFIG_TYPES[channel_type].model_validate(raw)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(["config", *(str(p) for p in e["loc"])]), "message": e["msg"]} for e in exc.errors()
        ]
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors) from exc
    assert isinstance(parsed, EmailConfig | WebhookConfig | AppriseConfig | InAppConfig | TeamsConfig)
    if isinstance(parsed, InAppConfig) and not parsed.users and not parsed.groups:
        raise ValidationFailed.field("config.users", "name at least one user or group")
    return parsed


def is_credential_header(name: str) -> bool:
    return bool(_CREDENTIAL_HEADER.search(name))


def split_secrets(config: ChannelConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    """(public part, secret part) of a validated config; the public part shows each secret as the mask."""
    public: dict[str, Any] = config.model_dump(mode="json", by_alias=True)
    secret: dict[str, Any] = {}
    if isinstance(config, EmailConfig) and config.password is not None:
        secret["password"], public["password"] = config.password, MASK
    elif isinstance(config, WebhookConfig):
        hidden = {k: v for k, v in config.headers.items() if is_credential_header(k)}
        public["headers"] = {k: (MASK if k in hidden else v) for k, v in config.headers.items()}
        if hidden:
            secret["headers"] = hidden
    elif isinstance(config, AppriseConfig):
        public, secret = {"url": f"{config.scheme}://{MASK}"}, {"url": config.url}
    elif isinstance(config, TeamsConfig):
        parts = urlsplit(config.url)
        public, secret = {"url": f"{parts.scheme}://{parts.hostname}/{MASK}"}, {"url": config.url}
    return public, secret


def seal(secret_key: str, secret: dict[str, Any]) -> str | None:
    return encrypt(secret_key, json.dumps(secret), purpose=CRYPTO_PURPOSE) if secret else None


def unseal(secret_key: str, sealed: str | None) -> dict[str, Any]:
    if not sealed:
        return {}
    opened: dict[str, Any] = json.loads(decrypt(secret_key, sealed, purpose=CRYPTO_PURPOSE))
    return opened


def with_secrets(public: dict[str, Any], secret: dict[str, Any]) -> dict[str, Any]:
    """The stored public part with the (decrypted) secrets in place of their masks."""
    merged = {**public, **{k: v for k, v in secret.items() if k != "headers"}}
    if "headers" in secret:
        merged["headers"] = {**public.get("headers", {}), **secret["headers"]}
    return merged


def keep_unchanged_secrets(raw: dict[str, Any], public: dict[str, Any], secret: dict[str, Any]) -> dict[str, Any]:
    """On update, a secret sent back as the mask (or left out) keeps its stored value; `null` clears it."""
    merged = dict(raw)
    if "password" in secret and merged.get("password", MASK) == MASK:
        merged["password"] = secret["password"]
    if "url" in secret and merged.get("url", MASK) in (MASK, public.get("url")):
        merged["url"] = secret["url"]
    if isinstance(merged.get("headers"), dict):
        old = secret.get("headers", {})
        merged["headers"] = {k: (old[k] if v == MASK and k in old else v) for k, v in merged["headers"].items()}
    return merged


def unresolved_mask(config: ChannelConfig) -> str | None:
    """The field of a secret that is still the mask (its stored value was unreadable), if any."""
    if isinstance(config, EmailConfig) and config.password == MASK:
        return "config.password"
    if isinstance(config, TeamsConfig) and MASK in config.url:
        return "config.url"
    if isinstance(config, WebhookConfig):
        for name, value in config.headers.items():
            if value == MASK and is_credential_header(name):
                return f"config.headers.{name}"
    return None
