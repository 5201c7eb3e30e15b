"""Absolute links in notifications: the instance's public URL (TENANTPLANE_PUBLIC_URL) joined with a UI path.

Notices store the path (the in-app inbox and the UI route by it); each channel gets the absolute URL when it sends.
"""

from __future__ import annotations

import re

from tenantplane.settings import Settings

_ABSOLUTE = re.compile(r"^https?://", re.IGNORECASE)
_process_public_url: str | None = None
_process_settings: Settings | None = None


def absolute_link(public_url: str, link: str | None) -> str | None:
    """`link` made absolute against `public_url`: a path is appended (keeping the URL's own path prefix); an
    http(s) URL is already absolute and stays as it is; None stays None."""
    if link is None:
        return None
    if _ABSOLUTE.match(link):
        return link
    return f"{public_url.rstrip('/')}/{link.lstrip('/')}"


def use_public_url(settings: Settings) -> None:
    """Make `settings`' public URL the one this process renders links with where no settings reach (the `link`
    variable of notification templates, rendered by `notify` in whichever process calls it), and its settings."""
    global _process_public_url, _process_settings
    _process_public_url, _process_settings = settings.resolved_public_url, settings


def process_public_url() -> str:
    """The public URL `use_public_url` set, else the one the environment gives (a process that never set one)."""
    return _process_public_url or Settings().resolved_public_url


def process_settings() -> Settings:
    """The settings `use_public_url` was given (the secret key that seals notice actions, the action-link TTL), else
    the environment's."""
    global _process_settings
    if _process_settings is None:
        _process_settings = Settings()
    return _process_settings
