"""A local stand-in for Slack's Web API on 127.0.0.1: records every call and answers as Slack does.

It knows a few users (Slack id → e-mail); `failures[method] = n` answers the next n calls of it with a 500.
Also the signing side of Slack: `signed(...)` builds an interactivity request as Slack would sign it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # Slack's documentation example shape: hex-ish, no dashes
BOT_TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"


@dataclass
class Call:
    method: str
    args: dict[str, Any]


@dataclass
class SlackStandIn:
    port: int = 0
    users: dict[str, str] = field(default_factory=dict)  # Slack user id → e-mail
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def of(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def answer(self, method: str, args: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.calls.append(Call(method, args))
            if self.failures.get(method, 0) > 0:
                self.failures[method] -= 1
                return 500, {"ok": False, "error": "internal_error"}
            count = len(self.calls)
        by_email = {email.lower(): uid for uid, email in self.users.items()}
        if method == "auth.test":
            return 200, {"ok": True, "team_id": "T0PLANE", "team": "Plane", "user_id": "UBOT"}
        if method == "users.lookupByEmail":
            uid = by_email.get(str(args.get("email", "")).lower())
            return 200, {"ok": True, "user": {"id": uid}} if uid else {"ok": False, "error": "users_not_found"}
        if method == "users.info":
            email = self.users.get(str(args.get("user")))
            user = {"id": args.get("user"), "profile": {"email": email}}
            return 200, {"ok": True, "user": user} if email else {"ok": False, "error": "user_not_found"}
        if method == "chat.postMessage":
            return 200, {"ok": True, "channel": f"D{args['channel']}", "ts": f"{1_700_000_000 + count}.000100"}
        if method == "chat.update":
            return 200, {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        if method in ("views.open", "chat.postEphemeral"):
            return 200, {"ok": True}
        return 200, {"ok": False, "error": "unknown_method"}


@contextmanager
def running_slack() -> Iterator[SlackStandIn]:
    state = SlackStandIn()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0)).decode()
            args: dict[str, Any] = dict(parse_qsl(parts.query))
            if raw and self.headers.get("Content-Type", "").startswith("application/json"):
                args.update(json.loads(raw))
            elif raw:
                args.update(parse_qsl(raw))
            status, body = state.answer(parts.path.removeprefix("/api/"), args)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def signed(payload: dict[str, Any], *, secret: str = SIGNING_SECRET, age: float = 0) -> tuple[bytes, dict[str, str]]:
    """The body and headers of an interactivity request as Slack sends it, signed `age` seconds ago."""
    body = urlencode({"payload": json.dumps(payload)})
    timestamp = str(int(time.time() - age))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body) or ""
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }
    return body.encode(), headers


def button(slack_user: str, action_id: str, value: str, trigger_id: str = "trigger-1") -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": slack_user},
        "trigger_id": trigger_id,
        "actions": [{"action_id": action_id, "value": value, "type": "button"}],
    }


def submission(slack_user: str, message_id: str, comment: str | None) -> dict[str, Any]:
    value = {"comment": {"comment_input": {"type": "plain_text_input", "value": comment}}}
    view = {"callback_id": "tenantplane_reject_comment", "private_metadata": message_id, "state": {"values": value}}
    return {"type": "view_submission", "user": {"id": slack_user}, "view": view}
