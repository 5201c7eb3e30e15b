"""Process settings read from TENANTPLANE_* environment variables.

One Settings object per process; the secret key is generated into the data directory on first use.
"""

from __future__ import annotations

import secrets
import socket
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from platformdirs import user_data_dir
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TENANTPLANE_", extra="ignore")

    database_url: str | None = Field(
        default=None, description="PostgreSQL URL; unset starts an embedded PostgreSQL in the data directory."
    )
    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir("tenantplane")))
    secret_key: str | None = Field(default=None, description="Signs tokens and derives secret-encryption keys.")
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = Field(
        default=None,
        description="The address people open the web UI at (http(s)://host[:port][/prefix]); every link in a "
        "notification starts with it. Unset: http://HOST:PORT of `serve` (see `resolved_public_url`).",
    )
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"
    access_token_ttl_seconds: int = 3600
    session_ttl_seconds: int = 8 * 3600
    # How long a signed approve / reject link of an approval notice stays usable (never beyond its step or gate's
    # own timeout; a decided step or gate refuses it anyway). docs/approvals-anywhere.md.
    action_link_ttl_seconds: int = Field(default=7 * 86_400, ge=60, le=90 * 86_400)
    cookie_secure: bool = False
    max_body_bytes: int = 1_048_576
    # Sign-in throttle, per (account, client address): after `login_max_failures` failures that address waits
    # `login_backoff_seconds`, doubled at each further failure up to `login_lockout_seconds`; failures are forgotten
    # `login_failure_window_seconds` after the last one. Past `login_account_alarm_failures` failures of one account
    # from all addresses together, each address gets one try before its backoff: slower guessing, never a lockout.
    login_max_failures: int = Field(default=5, ge=1)
    login_backoff_seconds: int = Field(default=30, ge=1)
    login_lockout_seconds: int = Field(default=900, ge=1)
    login_failure_window_seconds: int = Field(default=86_400, ge=1)
    login_account_alarm_failures: int = Field(default=100, ge=1)
    # Finished jobs, sent or dead notification deliveries and the live log chunks of finished executions are deleted
    # this many days after they finished (kit/retention.py: the workers' hourly housekeeping, `tenantplane purge`).
    # 0 keeps them forever. Executions, requests, approvals and audit events are never purged.
    retention_days: int = Field(default=30, ge=0)
    # Per-caller API rate limit in each API process (identity/ratelimit.py): requests per second sustained and the
    # burst a caller may spend at once; past it, 429 with Retry-After. 0 turns it off.
    api_rate_per_second: float = Field(default=100.0, ge=0)
    api_rate_burst: int = Field(default=300, ge=1)
    # Proxies `serve` believes about the client address (X-Forwarded-For; uvicorn's forwarded_allow_ips, e.g.
    # "10.0.0.5,10.0.1.0/24"). Empty: forwarded headers are ignored and the TCP peer is the client.
    forwarded_allow_ips: str = ""
    # /metrics (docs/metrics.md): with a token, a scrape needs `Authorization: Bearer <token>`; unset, it is open (bind
    # to loopback or set one: it names the busiest tenants). The state figures are read from the database at most once
    # per `metrics_cache_seconds` per process; tenants beyond the top `metrics_top_tenants` add up under `_other`;
    # recent figures (finished executions, step durations, live workers) cover the last `metrics_window_seconds`.
    metrics_token: str | None = None
    metrics_cache_seconds: float = Field(default=5.0, ge=0, le=3600)
    metrics_top_tenants: int = Field(default=50, ge=0, le=10_000)
    metrics_window_seconds: float = Field(default=3600.0, ge=60, le=30 * 86_400)
    worker_concurrency: int = 10
    # Slots of each worker no single tenant may take (it runs at most concurrency minus these at once there), so
    # one tenant's flood of jobs never delays another tenant's next job past its wake-up. 0: no cap.
    worker_reserved_slots: int = Field(default=1, ge=0)
    # Runbook executions one tenant may run at once across all workers, unless its own limit says otherwise
    # (platform admins: PATCH /api/platform/tenants/{id} max_running_runbooks). More wait, in order. 0: no limit.
    tenant_max_running_runbooks: int = Field(default=10, ge=0)
    job_lease_seconds: float = 30.0
    worker_grace_seconds: float = 30.0
    allowed_egress_hosts: str = Field(
        default="", description="Comma-separated hosts or CIDRs outgoing HTTP may reach despite being private."
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/",
        description="Base URL of Slack's Web API for every tenant's Slack app (tests point it at a local stand-in).",
    )
    runbook_python: str | None = Field(
        default=None, description="Interpreter of python actions, under /usr (default: the system python3)."
    )
    runbook_network: Literal["auto", "none", "egress"] = Field(
        default="auto",
        description="Network of runbook scripts: `none` (own loopback only), `egress` (the host's network filtered "
        "per run by nftables: root only), `auto` (egress where it can be enforced, else none).",
    )
    runbook_exposed_paths: str = Field(
        default="",
        description="Comma-separated host paths bound into every runbook run, read-only (`path:rw`: writable). "
        "Every tenant's scripts see them: expose nothing secret.",
    )

    @field_validator("public_url")
    @classmethod
    def _absolute_http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None  # TENANTPLANE_PUBLIC_URL= (empty) means unset
        return absolute_base_url(value)

    @property
    def resolved_public_url(self) -> str:
        """The configured public URL, else `http://HOST:PORT` of this process's settings. A wildcard bind (0.0.0.0,
        ::) names no address anyone could open, so the machine's name stands in for it (127.0.0.1 without one)."""
        if self.public_url:
            return self.public_url
        host = self.host.strip("[]")
        if host in ("", "0.0.0.0", "::"):
            host = socket.gethostname() or "127.0.0.1"
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    @cached_property
    def resolved_secret_key(self) -> str:
        """The configured key, or the one stored in the data directory (created on first run)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.touch(mode=0o600)
        path.write_text(key)
        return key


def absolute_base_url(value: str) -> str:
    """`value` as the base of absolute links: an http(s) URL with a host and no credentials, query or fragment, its
    trailing slashes dropped. Raises ValueError (a clear startup error) for anything else."""
    text = value.strip()
    if any(c.isspace() for c in text):
        raise ValueError(f"{value!r} is not a URL: it contains whitespace")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  a port that is not a number (or out of range) raises here
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a URL ({exc})") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} must be an absolute http:// or https:// URL, e.g. https://plane.example.com")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{value!r} must not carry a user name or password: every notification would show it")
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ValueError(f"{value!r} must not have a query or fragment: links are appended to it as paths")
    return f"{parts.scheme.lower()}://{parts.netloc}{parts.path.rstrip('/')}"


def get_settings() -> Settings:
    return Settings()
