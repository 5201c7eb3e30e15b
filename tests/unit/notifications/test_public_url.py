"""TENANTPLANE_PUBLIC_URL: what it accepts, the default derived from the served address, and how links join it.

Pure settings and string rules; the deliveries that use them are tested in tests/api/test_notifications_links.py.
"""

from __future__ import annotations

import socket

import pytest
from pydantic import ValidationError

from tenantplane.notifications.links import absolute_link
from tenantplane.settings import Settings


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://plane.example.com", "https://plane.example.com"),
        ("https://plane.example.com/", "https://plane.example.com"),
        ("HTTP://plane.example.com:8443/itsm//", "http://plane.example.com:8443/itsm"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("  https://plane.example.com  ", "https://plane.example.com"),
    ],
)
def test_the_public_url_is_an_absolute_http_url_kept_without_its_trailing_slash(given: str, kept: str) -> None:
    assert Settings(public_url=given).resolved_public_url == kept


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("plane.example.com", "must be an absolute http:// or https:// URL"),
        ("/itsm", "must be an absolute http:// or https:// URL"),
        ("ftp://plane.example.com", "must be an absolute http:// or https:// URL"),
        ("https://", "must be an absolute http:// or https:// URL"),
        ("https://plane.example.com/?tenant=acme", "must not have a query or fragment"),
        ("https://plane.example.com/#/home", "must not have a query or fragment"),
        ("https://plane.example.com?", "must not have a query or fragment"),
        ("https://admin:s3cret@plane.example.com", "must not carry a user name or password"),
        ("https://plane.example.com:99999", "is not a URL"),
        ("https://plane.example.com/a b", "contains whitespace"),
    ],
)
def test_a_public_url_that_cannot_start_a_link_is_refused_at_startup(
    given: str, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TENANTPLANE_PUBLIC_URL", given)
    with pytest.raises(ValidationError, match=reason) as refused:
        Settings()
    assert refused.value.errors()[0]["loc"] == ("public_url",)


def test_unset_or_empty_the_public_url_is_the_served_address(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TENANTPLANE_PUBLIC_URL", "TENANTPLANE_HOST", "TENANTPLANE_PORT"):
        monkeypatch.delenv(name, raising=False)
    assert Settings().resolved_public_url == "http://127.0.0.1:8000"
    monkeypatch.setenv("TENANTPLANE_PUBLIC_URL", "")
    monkeypatch.setenv("TENANTPLANE_HOST", "plane.internal")
    monkeypatch.setenv("TENANTPLANE_PORT", "9000")
    settings = Settings()
    assert settings.public_url is None
    assert settings.resolved_public_url == "http://plane.internal:9000"
    assert Settings(host="::1", port=8000).resolved_public_url == "http://[::1]:8000"


@pytest.mark.parametrize("wildcard", ["0.0.0.0", "::", "[::]"])
def test_a_wildcard_bind_names_the_machine_in_links(wildcard: str) -> None:
    assert Settings(host=wildcard, port=8000).resolved_public_url == f"http://{socket.gethostname()}:8000"


@pytest.mark.parametrize(
    ("link", "absolute"),
    [
        ("/approvals/gates/1", "https://plane.example.com/itsm/approvals/gates/1"),
        ("approvals/gates/1", "https://plane.example.com/itsm/approvals/gates/1"),
        ("//evil.example.com/x", "https://plane.example.com/itsm/evil.example.com/x"),
        ("https://wiki.example.com/a?b=1", "https://wiki.example.com/a?b=1"),
        ("HTTP://wiki.example.com/", "HTTP://wiki.example.com/"),
        (None, None),
    ],
)
def test_a_path_joins_the_public_url_and_an_absolute_link_stays(link: str | None, absolute: str | None) -> None:
    assert absolute_link("https://plane.example.com/itsm", link) == absolute
