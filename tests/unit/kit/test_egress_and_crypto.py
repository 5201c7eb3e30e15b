"""Egress guard decisions and secret encryption round trips."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tenantplane.kit import egress
from tenantplane.kit.crypto import SecretUnreadable, decrypt, encrypt
from tenantplane.kit.egress import EgressDenied, check_url, checked_transport


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


@pytest.fixture
def loopback_server() -> Iterator[int]:
    """A real HTTP server on 127.0.0.1 that answers every GET with the Host header it was sent."""

    class Echo(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = (self.headers.get("Host") or "").encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


async def test_the_checked_transport_connects_where_it_may_and_refuses_where_it_may_not(loopback_server: int) -> None:
    url = f"http://127.0.0.1:{loopback_server}/"
    allowed = checked_transport(operator_allowed=["127.0.0.1"])
    async with httpx.AsyncClient(transport=allowed) as client:
        assert (await client.get(url)).text == f"127.0.0.1:{loopback_server}"
    async with httpx.AsyncClient(transport=checked_transport(operator_allowed=[])) as client:
        with pytest.raises(httpx.ConnectError, match=r"egress denied: .*non-public"):
            await client.get(url)
    narrowed = checked_transport(operator_allowed=["127.0.0.1"], tenant_allowed=["hooks.example.com"])
    async with httpx.AsyncClient(transport=narrowed) as client:
        with pytest.raises(httpx.ConnectError, match="tenant's egress allow-list"):
            await client.get(url)


async def test_a_name_that_rebinds_to_a_private_address_after_the_check_is_refused_when_connecting(
    loopback_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The DNS answers of a rebinding attacker: a public address for the check, then loopback for the connection.
    answers = iter([[ipaddress.ip_address("93.184.216.34")], [ipaddress.ip_address("127.0.0.1")]])

    async def rebinding_dns(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        assert host == "rebind.example"
        return next(answers)

    monkeypatch.setattr(egress, "_resolve", rebinding_dns)
    url = f"http://rebind.example:{loopback_server}/"
    await check_url(url, operator_allowed=[])  # the check alone is fooled
    async with httpx.AsyncClient(transport=checked_transport(operator_allowed=[])) as client:
        with pytest.raises(httpx.ConnectError, match=r"non-public address \(127\.0\.0\.1\)"):
            await client.get(url)


async def test_the_checked_transport_connects_to_the_address_it_checked(
    loopback_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A name only our resolver knows: reaching the server proves no second lookup happened, and the Host header
    # still names the host (as TLS would, through SNI).
    async def private_dns(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        return [ipaddress.ip_address("127.0.0.1")] if host == "internal.example" else []

    monkeypatch.setattr(egress, "_resolve", private_dns)
    async with httpx.AsyncClient(transport=checked_transport(operator_allowed=["127.0.0.1"])) as client:
        answer = await client.get(f"http://internal.example:{loopback_server}/")
    assert answer.text == f"internal.example:{loopback_server}"
