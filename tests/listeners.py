"""Real listeners on 127.0.0.1 for the egress tests: what arrives proves what got through (HTTP, SMTP, UDP).

Import the fixtures into a test module or conftest to use them.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.live_server import free_port


@dataclass
class Listener:
    """A local server and everything that reached it."""

    port: int
    received: list[Any] = field(default_factory=list)


@pytest.fixture
def http_listener() -> Iterator[Listener]:
    """HTTP on 127.0.0.1: records the path of every request, answers 200."""
    state = Listener(port=0)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.received.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp_listener() -> Iterator[Listener]:
    """SMTP on 127.0.0.1 (aiosmtpd): records the recipients of every message."""
    state = Listener(port=free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            state.received.append(list(envelope.rcpt_tos))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=state.port)
    controller.start()
    yield state
    controller.stop()


@pytest.fixture
def udp_listener() -> Iterator[tuple[Listener, socket.socket]]:
    """A UDP socket on 127.0.0.1 (read it with a timeout to see whether anything arrived)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.3)
    yield Listener(port=int(sock.getsockname()[1])), sock
    sock.close()
