"""Outgoing traffic guard: which hosts webhooks, channels and `http` actions may reach, however they are written.

Private, loopback, link-local and other non-public addresses are refused unless the operator allows them
(TENANTPLANE_ALLOWED_EGRESS_HOSTS); a tenant may narrow further with its own allow-list. Three ways to enforce it:
`check_url`/`check_host` (a verdict), `checked_transport` (httpx, checked at connect) and `guarded_sockets` (any
library on this thread, checked in Python's socket layer as it resolves and connects).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn
from urllib.parse import urlsplit

import certifi
import httpcore
import httpx

from tenantplane.kit.errors import DomainError

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# What inet_aton would read as an address: 1 to 4 parts, each decimal, octal (leading 0) or hex (0x). Anything else
# is a name. The check comes first because glibc's inet_aton accepts trailing garbage after a space.
_LEGACY_IPV4 = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d (:: and ::1 excepted)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix: the IPv4 is the last 32 bits

# The non-public networks, written out once for both judges: this module's (HTTP, channels, the socket guard) and the
# kernel's (runbooks/network.py turns them into nftables sets). HOST_NETWORKS are this machine and its link: never
# reachable, whatever an allow-list says. NON_PUBLIC_NETWORKS (private, shared, documentation, benchmarking,
# multicast, reserved, and the IPv6 prefixes that carry an IPv4 address) only where the operator allows them.
HOST_NETWORKS = ("127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/8", "::1/128", "::/128", "fe80::/10")
NON_PUBLIC_NETWORKS = (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "fc00::/7", "fec0::/10", "ff00::/8", "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/23",
    "2001:db8::/32", "100::/64", "::ffff:0:0/96",
)  # fmt: skip
_LISTED = tuple(ipaddress.ip_network(n) for n in (*HOST_NETWORKS, *NON_PUBLIC_NETWORKS))


class EgressDenied(DomainError):
    status_code = 422
    problem_type = "egress-denied"
    title = "Destination not allowed"


def parse_address(host: str) -> IpAddress | None:
    """The IP address `host` names however it is written, or None when it is a name to resolve.

    IPv4 in the legacy forms resolvers and clients still accept (`2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`)
    goes through `socket.inet_aton`; IPv6 with or without brackets, with or without a zone id (`fe80::1%eth0`).
    """
    text = host.strip().lower()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    text = text.removesuffix(".")  # "127.0.0.1." is the same place
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:  # "08.1", 2**32: no address, so a resolver would look it up as a name
            return None
    return None


def embedded_ipv4(address: IpAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries and leads to: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible
    (`::a.b.c.d`), NAT64 (`64:ff9b::/96`) and 6to4 (`2002::/16`); None for any other address. Teredo (`2001::/32`)
    is left out on purpose: the whole prefix is non-global, so it is refused as it stands."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    plain = ipaddress.IPv6Address(int(address))  # without the zone id
    if plain in _NAT64 or (plain in _IPV4_COMPATIBLE and int(plain) > 1):
        return ipaddress.IPv4Address(int(plain) & 0xFFFFFFFF)
    return None


def is_public(address: IpAddress) -> bool:
    """True for a global unicast address; an IPv6 address that carries an IPv4 address is judged by that one.

    Loopback, link-local, private (RFC 1918, ULA), CGNAT (100.64/10), multicast, reserved, documentation,
    unspecified and site-local addresses are not public.
    """
    target = embedded_ipv4(address) or address
    # The listed networks are what the kernel rules refuse too; the standard library's registry is a second opinion.
    site_local = isinstance(target, ipaddress.IPv6Address) and target.is_site_local
    return target.is_global and not (
        target.is_multicast
        or target.is_reserved
        or target.is_private
        or target.is_loopback
        or target.is_link_local
        or target.is_unspecified
        or site_local
        or any(target in n for n in _LISTED)
    )


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


def _in_networks(address: IpAddress, networks: list[IpNetwork]) -> bool:
    """An address matches a network as written or by the IPv4 address inside it (`::ffff:10.0.0.5` is 10.0.0.5)."""
    inner = embedded_ipv4(address)
    return any(address in n or (inner is not None and inner in n) for n in networks)


def _allowed(host: str, addresses: list[IpAddress], hosts: set[str], networks: list[IpNetwork]) -> bool:
    return host in hosts or (bool(addresses) and all(_in_networks(a, networks) for a in addresses))


def _check_addresses(
    host: str, addresses: list[IpAddress], operator_allowed: Iterable[str], tenant_allowed: Iterable[str]
) -> None:
    tenant_list = list(tenant_allowed)
    if tenant_list:
        t_hosts, t_networks = parse_allow_list(tenant_list)
        if not _allowed(host, addresses, t_hosts, t_networks):
            raise EgressDenied(f"The host '{host}' is not on this tenant's egress allow-list.")
    o_hosts, o_networks = parse_allow_list(operator_allowed)
    private = [a for a in addresses if not is_public(a)]
    if private and not _allowed(host, private, o_hosts, o_networks):
        raise EgressDenied(
            f"The host '{host}' resolves to a non-public address ({private[0]}); the operator has not allowed it."
        )


def _addresses_of(infos: list[Any]) -> list[IpAddress]:
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


async def _resolve(host: str) -> list[IpAddress]:
    literal = parse_address(host)
    if literal is not None:
        return [literal]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:  # unknown name, a label IDNA refuses, a NUL
        raise EgressDenied(f"The host '{host}' cannot be resolved.") from exc
    return _addresses_of(infos)


def _resolve_now(host: str) -> list[IpAddress]:
    """`_resolve` for a thread that may block (the socket guard runs inside the library's own call)."""
    literal = parse_address(host)
    if literal is not None:
        return [literal]
    try:
        return _addresses_of(socket.getaddrinfo(host, None, type=socket.SOCK_STREAM))
    except (OSError, UnicodeError, ValueError) as exc:
        raise EgressDenied(f"The host '{host}' cannot be resolved.") from exc


def _host_name(host: str) -> str:
    name = host.strip().lower()
    return name[1:-1] if name.startswith("[") and name.endswith("]") else name


async def check_host(host: str, *, operator_allowed: Iterable[str], tenant_allowed: Iterable[str] = ()) -> None:
    """Raise EgressDenied unless every address `host` (a name or an address in any form) resolves to is allowed."""
    name = _host_name(host)
    if not name:
        raise EgressDenied("A host is required.")
    _check_addresses(name, await _resolve(name), operator_allowed, tenant_allowed)


async def check_url(url: str, *, operator_allowed: Iterable[str], tenant_allowed: Iterable[str] = ()) -> None:
    """Raise EgressDenied unless `url` is http(s) to a host this tenant may reach."""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError as exc:  # "http://[::1/": urlsplit refuses an unbalanced IPv6 literal
        raise EgressDenied(f"'{url}' is not a URL: {exc}.") from exc
    if parts.scheme not in ("http", "https") or not hostname:
        raise EgressDenied(f"Only http:// and https:// URLs with a host are allowed, not '{url}'.")
    await check_host(hostname, operator_allowed=operator_allowed, tenant_allowed=tenant_allowed)


def denial_of(error: BaseException) -> EgressDenied | None:
    """The egress refusal behind an HTTP client's connect error (`checked_transport` raises from it; httpcore and
    httpx re-raise on the way, keeping it as the cause or the context)."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, EgressDenied):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


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
        name = _host_name(host)
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
    # ours, same TLS context (tests/unit/kit/test_egress_and_crypto.py fails should an httpx upgrade change this).
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl.create_default_context(cafile=certifi.where()),
        network_backend=_CheckedBackend(tuple(operator_allowed), tuple(tenant_allowed)),
    )
    return transport


class EgressRefused(PermissionError):
    """Raised inside a library's socket call (connect, sendto) when the guard refuses the destination."""


@dataclass
class SocketGuard:
    """The allow-lists one thread's sockets are held to, the addresses already checked, and every refusal."""

    operator_allowed: tuple[str, ...]
    tenant_allowed: tuple[str, ...]
    checked: set[IpAddress] = field(default_factory=set)
    refusals: list[str] = field(default_factory=list)
    busy: bool = False  # our own lookup inside the hook must not be checked again

    def lookup(self, host: object) -> None:
        """A library is about to resolve `host`: resolve it ourselves, check, remember what passed."""
        if isinstance(host, bytes):
            host = host.decode("ascii", errors="replace")
        if not isinstance(host, str) or not host:
            return  # getaddrinfo(None, …) names this machine's own wildcard/loopback; connect() judges that
        name = _host_name(host)
        try:
            addresses = _resolve_now(name)
            _check_addresses(name, addresses, self.operator_allowed, self.tenant_allowed)
        except EgressDenied as denied:
            self.refusals.append(denied.detail)
            raise socket.gaierror(socket.EAI_FAIL, f"egress denied: {denied.detail}") from None
        self.checked.update(addresses)

    def connect(self, sock: object, address: object) -> None:
        """A socket is about to connect (or send) to `address`: only to an address checked, or allowed as such."""
        family = getattr(sock, "family", None)
        if family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
            self._refuse(f"only IPv4 and IPv6 destinations may be reached, not {address!r}")
        literal = parse_address(str(address[0]))
        if literal is None:  # a name handed straight to connect(): the C library resolves it once more after us
            self.lookup(str(address[0]))
            return
        if literal in self.checked:
            return
        try:  # an address no checked name led to (a DNS answer that changed since our lookup) stands on its own
            _check_addresses(str(literal), [literal], self.operator_allowed, self.tenant_allowed)
        except EgressDenied as denied:
            self._refuse(denied.detail)

    def _refuse(self, reason: str) -> NoReturn:
        self.refusals.append(reason)
        raise EgressRefused(f"egress denied: {reason}")


class _ThreadGuard(threading.local):
    guard: SocketGuard | None = None


_current = _ThreadGuard()
_GUARDED_EVENTS = frozenset({"socket.getaddrinfo", "socket.connect", "socket.sendto", "socket.sendmsg"})
_hook_lock = threading.Lock()
_hook_installed: list[bool] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """The process-wide audit hook: a set lookup for every event, work only on a guarded thread's socket calls."""
    if event not in _GUARDED_EVENTS:
        return
    guard = _current.guard
    if guard is None or guard.busy:
        return
    guard.busy = True
    try:
        if event == "socket.getaddrinfo":
            guard.lookup(args[0])
        else:
            guard.connect(args[0], args[1])
    finally:
        guard.busy = False


@contextmanager
def guarded_sockets(*, operator_allowed: Iterable[str], tenant_allowed: Iterable[str] = ()) -> Iterator[SocketGuard]:
    """Hold this thread's sockets to the egress allow-lists while the block runs, for libraries that connect
    themselves (Apprise's requests and smtplib, our SMTP sender).

    Python's audit events (PEP 578) show every `getaddrinfo`, `connect` and `sendto` of the socket module: each name
    looked up is resolved by us and checked, and each address connected to must be one of those checked addresses
    or be allowed in its own right, so a DNS answer that changes between our lookup and the library's (rebinding)
    meets a refusal at connect. Threads the library starts are not guarded (Apprise sends in the calling thread).
    """
    with _hook_lock:
        if not _hook_installed:  # audit hooks cannot be removed: install once, on first use
            sys.addaudithook(_audit)
            _hook_installed.append(True)
    guard = SocketGuard(tuple(operator_allowed), tuple(tenant_allowed))
    previous, _current.guard = _current.guard, guard
    try:
        yield guard
    finally:
        _current.guard = previous
