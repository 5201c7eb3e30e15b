"""Egress guard decisions and secret encryption round trips."""

from __future__ import annotations

import pytest

from tenantplane.kit.crypto import SecretUnreadable, decrypt, encrypt
from tenantplane.kit.egress import EgressDenied, check_url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/x",
        "http://10.1.2.3/",
        "http://[::1]/",
        "http://169.254.169.254/latest",
        "http://localhost/",
    ],
)
async def test_private_and_loopback_hosts_are_denied_by_default(url: str) -> None:
    with pytest.raises(EgressDenied, match="non-public"):
        await check_url(url, operator_allowed=[])


async def test_the_operator_can_allow_loopback() -> None:
    await check_url("http://127.0.0.1:9/hook", operator_allowed=["127.0.0.1"])
    await check_url("http://127.0.0.5/hook", operator_allowed=["127.0.0.0/8"])
    with pytest.raises(EgressDenied):
        await check_url("http://10.0.0.1/", operator_allowed=["127.0.0.0/8"])


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "http:///nohost", "gopher://x"])
async def test_only_http_urls_with_a_host(url: str) -> None:
    with pytest.raises(EgressDenied):
        await check_url(url, operator_allowed=["0.0.0.0/0"])


async def test_a_tenant_allow_list_narrows_further() -> None:
    with pytest.raises(EgressDenied, match="tenant"):
        await check_url("http://127.0.0.1/", operator_allowed=["127.0.0.1"], tenant_allowed=["10.0.0.0/8"])
    await check_url("http://127.0.0.1/", operator_allowed=["127.0.0.1"], tenant_allowed=["127.0.0.1"])


def test_secrets_round_trip_and_depend_on_the_key_and_purpose() -> None:
    token = encrypt("instance-key", "hunter2")
    assert "hunter2" not in token
    assert decrypt("instance-key", token) == "hunter2"
    with pytest.raises(SecretUnreadable):
        decrypt("another-key", token)
    with pytest.raises(SecretUnreadable):
        decrypt("instance-key", token, purpose="channels")
