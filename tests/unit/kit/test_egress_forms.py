"""The address judge over every way of writing an address: legacy IPv4 forms, IPv6 literals, embedded IPv4.

No test here resolves a name or sends a packet to anything but 127.0.0.1: every other address is literal.
"""

from __future__ import annotations

import ipaddress

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantplane.kit.egress import (
    EgressDenied,
    check_host,
    check_url,
    checked_transport,
    embedded_ipv4,
    is_public,
    parse_address,
)
from tests.listeners import Listener

LOOPBACK = ipaddress.IPv4Address("127.0.0.1")
METADATA = ipaddress.IPv4Address("169.254.169.254")

SPELLINGS_OF_LOOPBACK = [
    "2130706433",
    "0x7f000001",
    "0X7F000001",
    "0177.0.0.1",
    "0177.0000.0000.0001",
    "127.1",
    "127.0.1",
    "0x7f.1",
    "127.0.0.1.",
    "[::ffff:127.0.0.1]",
    "::ffff:7f00:1",
    "[::127.0.0.1]",
    "::7f00:1",
    "64:ff9b::7f00:1",
    "[64:ff9b::127.0.0.1]",
    "2002:7f00:1::",
    "[2002:7f00:0001:abcd::1]",
]
SPELLINGS_OF_METADATA = [
    "169.254.169.254",
    "2852039166",
    "0xa9fea9fe",
    "0251.0376.0251.0376",
    "169.254.43518",
    "[::ffff:169.254.169.254]",
    "::a9fe:a9fe",
    "64:ff9b::a9fe:a9fe",
    "2002:a9fe:a9fe::1",
]
OTHER_NON_PUBLIC = [
    "::1",
    "[::1]",
    "fe80::1",
    "fe80::1%eth0",
    "[fe80::1%25eth0]",
    "10.0.0.1",
    "0x0a000001",
    "167772161",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",  # CGNAT
    "224.0.0.1",
    "239.255.255.250",
    "ff02::1",
    "240.0.0.1",
    "255.255.255.255",
    "0.0.0.0",
    "0",
    "::",
    "fc00::1",
    "fd12:3456::1",
    "fec0::1",
    "2001:db8::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "198.18.0.1",
    "192.0.2.1",
]
PUBLIC = ["8.8.8.8", "134744072", "0x08080808", "[2606:4700:4700::1111]", "::ffff:8.8.8.8", "64:ff9b::8.8.8.8"]
NAMES = ["example.com", "deadbeef", "0x7f000001.example.com", "127.0.0.1.nip.io", "1.2.3.4.5", "4294967296", "08.1"]


@pytest.mark.parametrize("spelling", SPELLINGS_OF_LOOPBACK)
def test_every_spelling_of_loopback_is_read_as_127_0_0_1(spelling: str) -> None:
    address = parse_address(spelling)
    assert address is not None
    assert (embedded_ipv4(address) or address) == LOOPBACK
    assert not is_public(address)


@pytest.mark.parametrize("spelling", SPELLINGS_OF_METADATA)
def test_every_spelling_of_the_metadata_address_is_read_as_169_254_169_254(spelling: str) -> None:
    address = parse_address(spelling)
    assert address is not None
    assert (embedded_ipv4(address) or address) == METADATA
    assert not is_public(address)


@pytest.mark.parametrize("spelling", OTHER_NON_PUBLIC)
def test_loopback_link_local_private_cgnat_multicast_reserved_and_unspecified_are_not_public(spelling: str) -> None:
    address = parse_address(spelling)
    assert address is not None
    assert not is_public(address)


@pytest.mark.parametrize("spelling", PUBLIC)
def test_public_addresses_stay_public_however_written(spelling: str) -> None:
    address = parse_address(spelling)
    assert address is not None
    assert is_public(address)


@pytest.mark.parametrize("name", [*NAMES, "127.0.0.1 x", "0x7f000001 extra", ""])
def test_names_and_near_misses_are_left_to_the_resolver(name: str) -> None:
    assert parse_address(name) is None


@pytest.mark.parametrize("spelling", SPELLINGS_OF_LOOPBACK + SPELLINGS_OF_METADATA + OTHER_NON_PUBLIC)
async def test_check_host_refuses_each_form_by_default(spelling: str) -> None:
    with pytest.raises(EgressDenied, match="non-public address"):
        await check_host(spelling, operator_allowed=[])


@pytest.mark.parametrize("spelling", SPELLINGS_OF_LOOPBACK)
async def test_an_operator_allowing_loopback_allows_each_of_its_spellings_and_nothing_else(spelling: str) -> None:
    await check_host(spelling, operator_allowed=["127.0.0.1"])
    await check_host(spelling, operator_allowed=["127.0.0.0/8"])
    with pytest.raises(EgressDenied):
        await check_host(spelling, operator_allowed=["10.0.0.0/8", "169.254.169.254"])


async def test_a_tenant_allow_list_applies_to_the_address_inside_too() -> None:
    await check_host("[::ffff:127.0.0.1]", operator_allowed=["127.0.0.1"], tenant_allowed=["127.0.0.1"])
    await check_host("64:ff9b::8.8.8.8", operator_allowed=[], tenant_allowed=["8.8.8.0/24"])
    with pytest.raises(EgressDenied, match="tenant's egress allow-list"):
        await check_host("2130706433", operator_allowed=["127.0.0.1"], tenant_allowed=["hooks.example.com"])


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433:8399/",
        "http://0x7f000001/",
        "http://[::127.0.0.1]:8080/",
        "http://[::ffff:127.0.0.1]/",
        "http://[64:ff9b::7f00:1]/",
        "http://[2002:7f00:1::1]/",
        "http://2852039166/latest/meta-data",
        "http://[fe80::1%25eth0]/",
    ],
)
async def test_check_url_refuses_urls_naming_a_private_address_in_any_form(url: str) -> None:
    with pytest.raises(EgressDenied, match="non-public address"):
        await check_url(url, operator_allowed=[])


@pytest.mark.parametrize("url", ["http://[::1", "http://[zz::1]/", "http://[::1/x"])
async def test_a_url_that_does_not_parse_is_refused_not_raised(url: str) -> None:
    with pytest.raises(EgressDenied):
        await check_url(url, operator_allowed=["0.0.0.0/0", "::/0"])


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1", "[::ffff:127.0.0.1]"])
async def test_the_checked_transport_reads_every_form_and_connects_by_address(
    host: str, http_listener: Listener
) -> None:
    url = f"http://{host}:{http_listener.port}/form"
    async with httpx.AsyncClient(transport=checked_transport(operator_allowed=[])) as client:
        with pytest.raises(httpx.ConnectError, match=r"egress denied: .*non-public address"):
            await client.get(url)
    assert http_listener.received == []
    async with httpx.AsyncClient(transport=checked_transport(operator_allowed=["127.0.0.1"])) as client:
        assert (await client.get(url)).status_code == 200
    assert http_listener.received == ["/form"]


def _spellings(n: int) -> list[str]:
    """Every way this test knows of writing the IPv4 address `n`."""
    a, b, c, d = ipaddress.IPv4Address(n).packed
    forms = [str(n), hex(n), f"0{a:o}.0{b:o}.0{c:o}.0{d:o}", f"{a}.{n & 0xFFFFFF}", f"{a}.{b}.{n & 0xFFFF}"]
    forms += [f"::ffff:{a}.{b}.{c}.{d}", f"[64:ff9b::{a}.{b}.{c}.{d}]", f"2002:{a:02x}{b:02x}:{c:02x}{d:02x}::1"]
    if n > 1:  # :: and ::1 are IPv6's own unspecified and loopback addresses
        forms.append(f"[::{a}.{b}.{c}.{d}]")
    return forms


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_any_ipv4_address_gets_the_same_verdict_however_it_is_written(n: int) -> None:
    expected = is_public(ipaddress.IPv4Address(n))
    for spelling in _spellings(n):
        address = parse_address(spelling)
        assert address is not None, spelling
        assert (embedded_ipv4(address) or address) == ipaddress.IPv4Address(n), spelling
        assert is_public(address) == expected, spelling


@given(st.ip_addresses(v=6))
def test_any_ipv6_literal_parses_with_or_without_brackets(address: ipaddress.IPv6Address) -> None:
    assert parse_address(str(address)) == address
    assert parse_address(f"[{address.exploded}]") == address


@given(st.from_regex(r"[a-z][a-z0-9-]{0,15}(\.[a-z][a-z0-9-]{0,15}){0,3}", fullmatch=True))
def test_host_names_are_never_taken_for_addresses(name: str) -> None:
    assert parse_address(name) is None
