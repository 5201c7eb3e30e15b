"""The `http` runbook action: one request to an allowed host, its response captured as outputs.

The URL is checked against the egress guard after templates are rendered, and the connection again when it is
made (to the addresses checked, whatever form the host is written in); redirects are not followed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from tenantplane.kit.egress import EgressDenied, check_url, checked_transport
from tenantplane.runbooks.actions import StepOutcome, now
from tenantplane.runbooks.outputs import SecretMask

MAX_RESPONSE_BYTES = 1 << 20


@dataclass(frozen=True)
class EgressPolicy:
    operator_allowed: list[str]
    tenant_allowed: list[str]


def _expected(status: int, expect_status: list[int] | None) -> bool:
    return status in expect_status if expect_status else 200 <= status < 300


def _request_body(body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if isinstance(body, str):
        return {"content": body.encode()}
    return {"json": body}


async def _read_capped(response: httpx.Response) -> tuple[bytes, bool]:
    data = bytearray()
    async for piece in response.aiter_bytes():
        data += piece
        if len(data) > MAX_RESPONSE_BYTES:
            return bytes(data[:MAX_RESPONSE_BYTES]), True
    return bytes(data), False


def _parsed(raw: bytes) -> Any:
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


async def run_http(config: Mapping[str, Any], *, timeout: float, egress: EgressPolicy, mask: SecretMask) -> StepOutcome:
    """Sends the (already rendered) request; outputs `status`, `headers` and `body` (JSON when it parses)."""
    started_at, started = now(), time.monotonic()
    method, url = str(config["method"]), str(config["url"])
    try:
        await check_url(url, operator_allowed=egress.operator_allowed, tenant_allowed=egress.tenant_allowed)
    except EgressDenied as denied:
        return StepOutcome.failed(mask.apply(f"egress denied: {denied.detail}"), started_at=started_at)
    headers = config.get("headers") or {}
    # Checked again when connecting, to the very addresses checked: a DNS answer that changed since is no way in.
    transport = checked_transport(operator_allowed=egress.operator_allowed, tenant_allowed=egress.tenant_allowed)
    try:
        async with (
            httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(timeout), follow_redirects=False) as client,
            client.stream(method, url, headers=headers, **_request_body(config.get("body"))) as response,
        ):
            raw, truncated = await _read_capped(response)
    except httpx.TimeoutException:
        return StepOutcome(
            status="timed_out", reason=f"no response from {mask.apply(url)} in time", started_at=started_at
        )
    except (httpx.HTTPError, httpx.InvalidURL) as error:  # InvalidURL: "http://0177.0.0.1/" passes urlsplit only
        reason = mask.apply(f"request to {url} failed: {type(error).__name__}: {error}")
        return StepOutcome.failed(reason, started_at=started_at)
    elapsed = round((time.monotonic() - started) * 1000)
    outputs = mask.apply_to_outputs(
        {"status": response.status_code, "headers": dict(response.headers), "body": _parsed(raw)}
    )
    line = f"{method} {url} -> {response.status_code} {response.reason_phrase} ({elapsed} ms)"
    line += f"; body truncated at {MAX_RESPONSE_BYTES} bytes\n" if truncated else "\n"
    if _expected(response.status_code, config.get("expect_status")):
        return StepOutcome(status="succeeded", outputs=outputs, log=mask.apply(line), started_at=started_at)
    expected = config.get("expect_status") or "2xx"
    reason = f"unexpected status {response.status_code} (expected {expected})"
    return StepOutcome(status="failed", outputs=outputs, log=mask.apply(line), reason=reason, started_at=started_at)
