"""`guarded_sockets`: libraries that resolve and connect themselves (requests, smtplib, raw sockets) are held to
the egress rules on the guarded thread, a DNS answer that changes after our lookup is refused at connect, and no
other thread is touched. Real listeners on 127.0.0.1 show what arrived."""

from __future__ import annotations

import ipaddress
import smtplib
import socket
import threading
from pathlib import Path

import pytest
import requests

from tenantplane.kit import egress
from tenantplane.kit.egress import EgressRefused, guarded_sockets
from tests.listeners import Listener

LOOPBACK_HOSTS = ["127.0.0.1", "2130706433", "0x7f000001", "127.1", "[::ffff:127.0.0.1]", "localhost"]


def _post(host: str, port: int, path: str) -> None:
    requests.post(f"http://{host}:{port}{path}", data=b"x", timeout=5)


@pytest.mark.parametrize("host", LOOPBACK_HOSTS)
def test_requests_on_a_guarded_thread_cannot_reach_loopback_however_it_is_written(
    host: str, http_listener: Listener
) -> None:
    with guarded_sockets(operator_allowed=[]) as guard, pytest.raises(requests.ConnectionError, match="egress denied"):
        _post(host, http_listener.port, "/refused")
    assert http_listener.received == []
    assert "non-public address" in guard.refusals[0]
    with guarded_sockets(operator_allowed=["127.0.0.1"]) as allowed:  # the same call, allowed: it arrives
        _post(host, http_listener.port, "/allowed")
    assert http_listener.received == ["/allowed"]
    assert allowed.refusals == []


def test_a_name_whose_answer_changes_after_our_lookup_is_refused_at_connect(
    http_listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Our lookup is told a public address; the library's own lookup of the same name then gets loopback (the
    # real answer for localhost), as a rebinding DNS server would arrange.
    def public_answer(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        assert host == "localhost"
        return [ipaddress.ip_address("93.184.216.34")]

    monkeypatch.setattr(egress, "_resolve_now", public_answer)
    with guarded_sockets(operator_allowed=[]) as guard, pytest.raises(requests.ConnectionError):
        _post("localhost", http_listener.port, "/rebound")
    assert http_listener.received == []
    assert any("(127.0.0.1)" in refusal or "(::1)" in refusal for refusal in guard.refusals), guard.refusals


def test_smtplib_on_a_guarded_thread_is_refused_before_connecting(smtp_listener: Listener) -> None:
    for host in ("127.0.0.1", "2130706433", "::ffff:127.0.0.1"):
        with guarded_sockets(operator_allowed=[]) as guard, pytest.raises(OSError, match="egress denied"):
            smtplib.SMTP(host, smtp_listener.port, timeout=5)
        assert guard.refusals
    with guarded_sockets(operator_allowed=["127.0.0.1"]), smtplib.SMTP("127.0.0.1", smtp_listener.port) as smtp:
        smtp.sendmail("a@example.com", ["b@example.com"], b"Subject: allowed\r\n\r\nhello")
    assert smtp_listener.received == [["b@example.com"]]


def test_udp_sendto_and_raw_connect_are_judged_by_address(udp_listener: tuple[Listener, socket.socket]) -> None:
    listener, receiving = udp_listener
    with guarded_sockets(operator_allowed=[]), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        with pytest.raises(EgressRefused, match=r"non-public address \(127\.0\.0\.1\)"):
            udp.sendto(b"refused", ("127.0.0.1", listener.port))
        with pytest.raises(EgressRefused):
            udp.connect(("127.0.0.1", listener.port))
    with pytest.raises(TimeoutError):
        receiving.recvfrom(100)
    with guarded_sockets(operator_allowed=["127.0.0.0/8"]), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(b"allowed", ("127.0.0.1", listener.port))
    assert receiving.recvfrom(100)[0] == b"allowed"


def test_unix_sockets_are_refused_on_a_guarded_thread(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sock")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(path)
        server.listen()
        with guarded_sockets(operator_allowed=["0.0.0.0/0", "::/0"]), socket.socket(socket.AF_UNIX) as client:
            with pytest.raises(EgressRefused, match="only IPv4 and IPv6"):
                client.connect(path)


def test_other_threads_and_the_same_thread_afterwards_are_not_guarded(http_listener: Listener) -> None:
    errors: list[BaseException] = []

    def elsewhere() -> None:
        try:
            _post("127.0.0.1", http_listener.port, "/other-thread")
        except BaseException as exc:
            errors.append(exc)

    with guarded_sockets(operator_allowed=[]):
        other = threading.Thread(target=elsewhere)
        other.start()
        other.join()
    _post("127.0.0.1", http_listener.port, "/afterwards")
    assert errors == []
    assert http_listener.received == ["/other-thread", "/afterwards"]


def test_guards_nest_and_restore_the_outer_rules(http_listener: Listener) -> None:
    with guarded_sockets(operator_allowed=[]):
        with guarded_sockets(operator_allowed=["127.0.0.1"]):
            _post("127.0.0.1", http_listener.port, "/inner")
        with pytest.raises(requests.ConnectionError):
            _post("127.0.0.1", http_listener.port, "/outer")
    assert http_listener.received == ["/inner"]
