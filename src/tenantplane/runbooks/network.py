"""What runbook scripts may reach on the network, enforced by the kernel (nftables) for the throwaway uids.

Two modes. `none`: the script has its own network namespace with nothing but its own loopback (no route out).
`egress` (a root worker with nftables): the script shares the host's network, and an nftables table matching the
throwaway uid range refuses loopback, link-local and the database host always; private, shared, multicast and
reserved ranges unless the operator's egress allow-list names them; and, for a tenant with its own allow-list,
everything that list does not name. Each run's allowances are set elements keyed by its uid, added before the
script starts and removed when it ends. DNS to the configured name servers is allowed (port 53 only).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import json
import os
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tenantplane.kit.egress import HOST_NETWORKS, NON_PUBLIC_NETWORKS
from tenantplane.runbooks.isolation import RUN_UID_RANGE, SAFE_PATH

NetworkMode = Literal["none", "egress"]
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

TABLE = "tenantplane_runbooks"
_RULES_VERSION = "tenantplane-runbooks-v4"
NEVER = HOST_NETWORKS
PRIVATE = NON_PUBLIC_NETWORKS
_NFT_SECONDS = 10.0


class NetworkUnavailable(Exception):
    """Egress was asked for but the kernel rules cannot be put in place: scripts must not run unfiltered."""


@dataclass(frozen=True)
class RunNetwork:
    """What one run may reach besides the public internet: networks allowed although private, and whether the
    tenant's allow-list restricts the run to those alone."""

    allowed: tuple[IpNetwork, ...] = ()
    restricted: bool = False


@dataclass
class _Rules:
    installed: bool = False
    problem: str | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


_rules = _Rules()


@functools.cache
def nft_path() -> str | None:
    return shutil.which("nft", path=SAFE_PATH)


def _nft(script: str) -> None:
    nft = nft_path()
    if nft is None:
        raise NetworkUnavailable("nftables (nft) is not installed; install it (Debian: apt-get install nftables)")
    done = subprocess.run(
        [nft, "-f", "-"], input=script.encode(), capture_output=True, timeout=_NFT_SECONDS, check=False
    )
    if done.returncode != 0:
        raise NetworkUnavailable(f"nft refused the runbook rules: {done.stderr.decode(errors='replace').strip()}")


def _split(networks: Iterable[str | IpNetwork]) -> tuple[list[str], list[str]]:
    parsed = [ipaddress.ip_network(n, strict=False) if isinstance(n, str) else n for n in networks]
    return [str(n) for n in parsed if n.version == 4], [str(n) for n in parsed if n.version == 6]


def _elements(values: list[str]) -> str:
    return f"elements = {{ {', '.join(values)} }}" if values else ""


def _nameservers() -> list[str]:
    try:
        lines = Path("/etc/resolv.conf").read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        words = line.split()
        if len(words) >= 2 and words[0] == "nameserver":
            with contextlib.suppress(ValueError):
                found.append(str(ipaddress.ip_address(words[1].split("%")[0])))
    return found


def rules_script(*, never_extra: Iterable[str] = ()) -> str:
    """The whole table, created from scratch (an older table of ours is replaced)."""
    never4, never6 = _split([*NEVER, *never_extra])
    private4, private6 = _split(PRIVATE)
    dns4, dns6 = _split(f"{a}/{32 if ':' not in a else 128}" for a in _nameservers())
    low, high = RUN_UID_RANGE
    return f"""
table inet {TABLE}
delete table inet {TABLE}
table inet {TABLE} {{
  comment "{_RULES_VERSION}"
  set never4 {{ type ipv4_addr; flags interval; auto-merge; {_elements(never4)} }}
  set never6 {{ type ipv6_addr; flags interval; auto-merge; {_elements(never6)} }}
  set private4 {{ type ipv4_addr; flags interval; {_elements(private4)} }}
  set private6 {{ type ipv6_addr; flags interval; {_elements(private6)} }}
  set dns4 {{ type ipv4_addr; flags interval; {_elements(dns4)} }}
  set dns6 {{ type ipv6_addr; flags interval; {_elements(dns6)} }}
  set allowed4 {{ type uid . ipv4_addr; flags interval; }}
  set allowed6 {{ type uid . ipv6_addr; flags interval; }}
  set restricted {{ type uid; }}
  chain refuse {{
    meta l4proto tcp reject with tcp reset
    reject with icmpx type admin-prohibited
  }}
  chain output {{
    type filter hook output priority 0; policy accept;
    # Only packets of a run's own sockets are judged. (`skuid != range accept` would not do: a packet with no
    # full socket, such as the kernel's SYN-ACK on loopback, has no uid, the rule would not match, and the
    # rules below would refuse the host's own loopback replies.)
    meta skuid {low}-{high - 1} jump run
  }}
  chain run {{
    ip daddr @dns4 meta l4proto {{ tcp, udp }} th dport 53 accept
    ip6 daddr @dns6 meta l4proto {{ tcp, udp }} th dport 53 accept
    ip daddr @never4 jump refuse
    ip6 daddr @never6 jump refuse
    meta skuid . ip daddr @allowed4 accept
    meta skuid . ip6 daddr @allowed6 accept
    meta skuid @restricted jump refuse
    ip daddr @private4 jump refuse
    ip6 daddr @private6 jump refuse
  }}
}}
"""


def _table_is_ours() -> bool:
    nft = nft_path()
    if nft is None:
        return False
    done = subprocess.run([nft, "list", "table", "inet", TABLE], capture_output=True, timeout=_NFT_SECONDS, check=False)
    return done.returncode == 0 and _RULES_VERSION.encode() in done.stdout


@functools.cache
def database_hosts(database_url: str | None) -> tuple[str, ...]:
    """The addresses of the database server (never reachable from a script), resolved now."""
    if not database_url:
        return ()
    from sqlalchemy.engine import make_url

    host = make_url(database_url).host
    if not host or host.startswith("/"):
        return ()
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return ()
    return tuple(sorted({str(info[4][0]).split("%")[0] for info in infos}))


async def network_mode(wanted: Literal["auto", "none", "egress"], database: Iterable[str]) -> NetworkMode:
    """`auto`: egress where the kernel rules can be had (a root worker with nftables), else no network."""
    if wanted == "none":
        return "none"
    try:
        await ensure_rules(database)
    except NetworkUnavailable:
        if wanted == "egress":
            raise
        return "none"
    return "egress"


async def run_network(*, operator_allowed: Iterable[str], tenant_allowed: Iterable[str]) -> RunNetwork:
    """The allowances of one run from the egress allow-lists, host names resolved now.

    The operator's list lets private networks be reached; a tenant's own list narrows the run to what it names
    (private entries only where the operator allows them too). Loopback, link-local and the database stay refused.
    """
    operator = await _networks(operator_allowed)
    tenant_entries = [e for e in tenant_allowed if e.strip()]
    if not tenant_entries:
        return RunNetwork(allowed=tuple(operator))
    private = [ipaddress.ip_network(n) for n in PRIVATE]
    allowed = [
        n for n in await _networks(tenant_entries)
        if not any(_within(n, p, overlap=True) for p in private) or any(_within(n, o) for o in operator)
    ]  # fmt: skip
    return RunNetwork(allowed=tuple(allowed), restricted=True)


def _within(inner: IpNetwork, outer: IpNetwork, *, overlap: bool = False) -> bool:
    if isinstance(inner, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return inner.overlaps(outer) if overlap else inner.subnet_of(outer)
    if isinstance(inner, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return inner.overlaps(outer) if overlap else inner.subnet_of(outer)
    return False


async def _networks(entries: Iterable[str]) -> list[IpNetwork]:
    loop = asyncio.get_running_loop()
    found: list[IpNetwork] = []
    for raw in entries:
        entry = raw.strip().lower()
        if not entry:
            continue
        try:
            found.append(ipaddress.ip_network(entry, strict=False))
            continue
        except ValueError:
            pass
        try:
            infos = await loop.getaddrinfo(entry, None, type=socket.SOCK_STREAM)
        except OSError:
            continue  # a name that does not resolve allows nothing
        found += [ipaddress.ip_network(str(info[4][0]).split("%")[0]) for info in infos]
    return found


async def ensure_rules(never_extra: Iterable[str] = ()) -> None:
    """Puts the table in place once per process (another worker's table of the same version is kept)."""
    async with _rules.lock:
        if _rules.installed:
            return
        if _rules.problem is not None:
            raise NetworkUnavailable(_rules.problem)
        if os.geteuid() != 0:
            _rules.problem = "egress for scripts needs a worker running as root (kernel rules per throwaway uid)"
            raise NetworkUnavailable(_rules.problem)
        extra = list(never_extra)
        try:
            if await asyncio.to_thread(_table_is_ours):
                if _add_never(extra).strip():
                    await asyncio.to_thread(_nft, _add_never(extra))
            else:
                await asyncio.to_thread(_nft, rules_script(never_extra=extra))
        except (NetworkUnavailable, OSError, subprocess.TimeoutExpired) as error:
            raise NetworkUnavailable(str(error)) from error  # not remembered: the next run tries again
        _rules.installed = True


def _add_never(networks: list[str]) -> str:
    """Elements for the never sets, leaving out what they hold already (an overlap would be refused)."""
    base = [ipaddress.ip_network(n) for n in NEVER]
    fresh = [n for n in networks if not any(_within(ipaddress.ip_network(n, strict=False), b) for b in base)]
    never4, never6 = _split(fresh)
    lines = [f"add element inet {TABLE} never4 {{ {', '.join(never4)} }}"] if never4 else []
    lines += [f"add element inet {TABLE} never6 {{ {', '.join(never6)} }}"] if never6 else []
    return "\n".join(lines) + "\n"


def grant_script(uid: int, grant: RunNetwork, *, remove: bool = False) -> str:
    verb = "delete" if remove else "add"
    allowed4, allowed6 = _split(grant.allowed)
    lines = []
    if allowed4:
        lines.append(f"{verb} element inet {TABLE} allowed4 {{ {', '.join(f'{uid} . {n}' for n in allowed4)} }}")
    if allowed6:
        lines.append(f"{verb} element inet {TABLE} allowed6 {{ {', '.join(f'{uid} . {n}' for n in allowed6)} }}")
    if grant.restricted:
        lines.append(f"{verb} element inet {TABLE} restricted {{ {uid} }}")
    return "\n".join(lines) + "\n"


@contextlib.asynccontextmanager
async def granted(uid: int, grant: RunNetwork) -> AsyncIterator[None]:
    """The run's allowances, in the kernel while the script runs."""
    script = grant_script(uid, grant)
    if script.strip():
        await asyncio.to_thread(_nft, script)
    try:
        yield
    finally:
        if script.strip():
            with contextlib.suppress(NetworkUnavailable, OSError, subprocess.TimeoutExpired):
                await asyncio.to_thread(_nft, grant_script(uid, grant, remove=True))


def forget_finished_runs(live_uids: Iterable[int]) -> int:
    """Removes the allowances of runs whose uid has no process left (their worker died before removing them).

    Without this a later run that drew the same throwaway uid would inherit them. Returns how many were removed.
    """
    nft = nft_path()
    if nft is None or os.geteuid() != 0:
        return 0
    live = set(live_uids)
    removed = 0
    for set_name in ("allowed4", "allowed6", "restricted"):
        done = subprocess.run(
            [nft, "-j", "list", "set", "inet", TABLE, set_name], capture_output=True, timeout=_NFT_SECONDS, check=False
        )
        if done.returncode != 0:
            return removed  # no table of ours: nothing to forget
        stale = [e for e in _set_elements(done.stdout) if _uid_of(e) not in live]
        if stale:
            _nft(f"delete element inet {TABLE} {set_name} {{ {', '.join(_element_text(e) for e in stale)} }}\n")
            removed += len(stale)
    return removed


def _set_elements(listing: bytes) -> list[object]:
    for item in json.loads(listing).get("nftables", []):
        if "set" in item:
            return list(item["set"].get("elem", []))
    return []


def _uid_of(element: object) -> int | None:
    if isinstance(element, int):
        return element
    if isinstance(element, dict) and isinstance(element.get("concat"), list) and element["concat"]:
        first = element["concat"][0]
        return first if isinstance(first, int) else None
    return None


def _element_text(element: object) -> str:
    if isinstance(element, int):
        return str(element)
    assert isinstance(element, dict)
    uid, address = element["concat"]
    if isinstance(address, dict) and "prefix" in address:
        address = f"{address['prefix']['addr']}/{address['prefix']['len']}"
    elif isinstance(address, dict) and "range" in address:
        address = "-".join(address["range"])
    return f"{uid} . {address}"
