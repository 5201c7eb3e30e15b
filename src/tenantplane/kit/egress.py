"""Outgoing HTTP guard: which hosts webhooks and `http` actions may reach.

Private, loopback, link-local and other non-public addresses are refused unless the operator allows them
(TENANTPLANE_ALLOWED_EGRESS_HOSTS); a tenant may narrow further with its own allow-list.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

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
    addresses = await _resolve(host)
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
