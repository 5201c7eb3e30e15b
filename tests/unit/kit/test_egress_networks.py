"""The two egress judges agree: what the HTTP/socket guard calls non-public is what the kernel rules refuse.

kit/egress.py writes the non-public networks out once; runbooks/network.py turns the same lists into nftables sets.
"""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from tenantplane.kit.egress import HOST_NETWORKS, NON_PUBLIC_NETWORKS, embedded_ipv4, is_public
from tenantplane.runbooks.network import rules_script

LISTED = [ipaddress.ip_network(n) for n in (*HOST_NETWORKS, *NON_PUBLIC_NETWORKS)]
GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")


def listed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address in network for network in LISTED)


@settings(max_examples=3000)
@given(st.ip_addresses(v=4))
def test_an_ipv4_address_is_public_exactly_when_no_listed_network_holds_it(address: ipaddress.IPv4Address) -> None:
    assert is_public(address) is not listed(address)


@settings(max_examples=3000)
@given(st.ip_addresses(v=6, network=GLOBAL_UNICAST))
def test_an_ipv6_unicast_address_is_public_exactly_when_no_listed_network_holds_it(
    address: ipaddress.IPv6Address,
) -> None:
    # An address that carries an IPv4 one (6to4) is judged by that IPv4 address in Python; the kernel cannot look
    # inside, so it refuses the whole prefix: stricter, never looser.
    if embedded_ipv4(address) is not None:
        assert listed(address)
        return
    assert is_public(address) is not listed(address)


def test_every_edge_of_every_listed_network_is_refused_by_both() -> None:
    for network in LISTED:
        for address in (network.network_address, network.broadcast_address):
            target = embedded_ipv4(address) or address
            assert not is_public(address) or is_public(target), f"{address} of {network} is judged public"


def test_the_kernel_rules_name_every_listed_network() -> None:
    script = rules_script()
    for network in LISTED:
        assert network.with_prefixlen in script, network
