"""Outgoing HTTP guard: which hosts webhooks and `http` actions may reach.

Private, loopback, link-local and other non-public addresses are refused unless the operator allows them
(TENANTPLANE_ALLOWED_EGRESS_HOSTS); a tenant may narrow further with its own allow-list.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from urllib.parse import urlsplit

import certifi
import httpcore
import httpx

from tenantplane.kit.errors import DomainError

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class EgressDenied(DomainError):
    status_code = 422
    problem_type = "egress-denied"
    title = "Destination not allowed"


def parse_allow_list(entries: Iterable[str]) -> tuple[set[str], list[IpNetwork]]:
    """Split allow-list entries into host names and networks ("127.0.0.1", "10.0.0.0/8", "hooks.example.com")."""
    hosts: set[str] = set()
    networks: list[IpNetwork] = []
    for raw in entries:
        entry = raw.strip().lower()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            hosts.add(entry)
    return hosts, networks


def _allowed(host: str, addresses: list[IpAddress], hosts: set[str], networks: list[IpNetwork]) -> bool:
    return host in hosts or (bool(addresses) and all(any(a in n for n in networks) for a in addresses))


async def _resolve(host: str) -> list[IpAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise EgressDenied(f"The host '{host}' cannot be resolved.") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


async def check_url(url: str, *, operator_allowed: Iterable[str], tenant_allowed: Iterable[str] = ()) -> None:
    """Raise EgressDenied unless `url` is http(s) to a host this tenant may reach."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EgressDenied(f"Only http:// and https:// URLs with a host are allowed, not '{url}'.")
    host = parts.hostname.lower()
    _check_addresses(host, await _resolve(host), operator_allowed, tenant_allowed)


def _check_addresses(
    host: str, addresses: list[IpAddress], operator_allowed: Iterable[str], tenant_allowed: Iterable[str]
) -> None:
    tenant_list = list(tenant_allowed)
    if tenant_list:
        t_hosts, t_networks = parse_allow_list(tenant_list)
        if not _allowed(host, addresses, t_hosts, t_networks):
            raise EgressDenied(f"The host '{host}' is not on this tenant's egress allow-list.")
    o_hosts, o_networks = parse_allow_list(operator_allowed)
    private = [a for a in addresses if not a.is_global]
    if private and not _allowed(host, private, o_hosts, o_networks):
        raise EgressDenied(
            f"The host '{host}' resolves to a non-public address ({private[0]}); the operator has not allowed it."
        )


class _CheckedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host once, checks those addresses, and connects to exactly them (by address).

    Checking a URL and letting the HTTP client resolve the name again leaves a gap: a name whose DNS answer
    changes between the two (DNS rebinding) would pass the check with a public address and connect to a
    private one. TLS still verifies the certificate against the host name (httpcore passes it as SNI).
    """

    def __init__(self, operator_allowed: tuple[str, ...], tenant_allowed: tuple[str, ...]) -> None:
        self._operator_allowed, self._tenant_allowed = operator_allowed, tenant_allowed
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        name = host.lower().strip("[]")
        try:
            addresses = await _resolve(name)
            _check_addresses(name, addresses, self._operator_allowed, self._tenant_allowed)
        except EgressDenied as denied:
            raise httpcore.ConnectError(f"egress denied: {denied.detail}") from denied
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._backend.connect_tcp(str(address), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        raise failure or httpcore.ConnectError(f"no address to connect to for '{name}'")

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("egress over unix sockets is not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def checked_transport(
    *, operator_allowed: Iterable[str], tenant_allowed: Iterable[str] = ()
) -> httpx.AsyncHTTPTransport:
    """An httpx transport (no proxies from the environment) whose every connection is checked at connect time
    against the same allow-lists as `check_url`, to the very addresses it checked."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx builds its httpcore pool without a way to pass a network backend: replace the pool with one that has
    # ours, same TLS context (tests/unit/kit/test_egress.py fails should an httpx upgrade change this).
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl.create_default_context(cafile=certifi.where()),
        network_backend=_CheckedBackend(tuple(operator_allowed), tuple(tenant_allowed)),
    )
    return transport
