"""The input rules every request gets, in one ASGI middleware: body size, strict JSON, no NUL in path/query/headers.

A JSON body is checked as its last byte arrives, before any route parses it: strict JSON only (no NaN or
Infinity), at most MAX_JSON_DEPTH levels deep, finite numbers, and text PostgreSQL can store (no NUL, no lone
surrogates). `parse_json` applies the same rules to a body a route reads itself (the inbound webhook).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import pydantic_core
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tenantplane.kit.errors import MalformedJSON, PayloadTooLarge, ValidationFailed, problem_response

MAX_JSON_DEPTH = 64
MAX_PROBLEMS = 20
NUL = "must not contain NUL characters"


def text_problem(value: str) -> str | None:
    """Why PostgreSQL could not store `value` (NUL, lone surrogates), or None."""
    if "\x00" in value:
        return NUL
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "must be valid Unicode (no unpaired surrogates)"
    return None


def _field(path: tuple[str, ...]) -> str:
    return ".".join(path) or "body"


def _scalar_problem(value: Any, check_text: bool) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number"
    if check_text and isinstance(value, str):
        return text_problem(value)
    return None


def _problems(document: Any, *, check_text: bool) -> Iterator[tuple[str, str]]:
    """(field, message) for every value of a parsed document that breaks a rule; iterative, so depth is no risk.

    Without `check_text` strings are not looked at (the caller knows they hold no NUL and no lone surrogate)."""
    if not isinstance(document, dict | list):
        if problem := _scalar_problem(document, check_text):
            yield "body", problem
        return
    stack: list[tuple[dict[str, Any] | list[Any], tuple[str, ...], int]] = [(document, (), 0)]
    while stack:
        container, path, depth = stack.pop()
        if depth >= MAX_JSON_DEPTH:
            yield _field(path), f"nests deeper than {MAX_JSON_DEPTH} levels"
            continue
        items = container.items() if isinstance(container, dict) else enumerate(container)
        for key, item in items:
            if check_text and isinstance(key, str) and (problem := text_problem(key)):
                yield _field(path), f"a key {problem}"
            elif isinstance(item, dict | list):
                stack.append((item, (*path, str(key)), depth + 1))
            elif problem := _scalar_problem(item, check_text):
                yield _field((*path, str(key))), problem


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse_leniently(raw: bytes, strict_error: ValueError) -> Any:
    """The strict parser refused the body: parse it as Python does, to name the field at fault when it is one
    (lone surrogates, depth), or raise MalformedJSON when the body is not JSON at all (syntax, NaN, Infinity)."""
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValidationFailed.field("body", f"nests deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError:
        raise MalformedJSON(f"The request body is not valid JSON: {strict_error}.") from None


def parse_json(raw: bytes | bytearray) -> Any:
    """The body as JSON under the rules above; MalformedJSON (400) or ValidationFailed (422) naming the field."""
    data = bytes(raw)
    try:
        # pydantic-core parses in Rust: no Python recursion however deep, no NaN/Infinity literals and no lone
        # surrogates, so its strings can hold nothing PostgreSQL refuses but an escaped NUL.
        document = pydantic_core.from_json(data, allow_inf_nan=False)
    except ValueError as error:
        document = _parse_leniently(data, error)
        strict_error: ValueError | None = error
    else:
        strict_error = None
    problems = []
    for field, message in _problems(document, check_text=strict_error is not None or b"\\u0000" in data):
        problems.append({"field": field, "message": message})
        if len(problems) == MAX_PROBLEMS:
            break
    if problems:
        raise ValidationFailed("; ".join(f"{p['field']}: {p['message']}" for p in problems), errors=problems)
    if strict_error is not None:
        raise MalformedJSON(f"The request body is not valid JSON: {strict_error}.")
    return document


def is_json(headers: dict[bytes, bytes]) -> bool:
    """Whether the body is one FastAPI parses as JSON (application/json or application/*+json)."""
    media = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))


def _path_problem(scope: Scope) -> dict[str, str] | None:
    if "\x00" not in scope["path"]:
        return None
    # Name the path parameter from the OpenAPI document's templates (cached); only on this rare failure.
    openapi = getattr(scope.get("app"), "openapi", None)
    for template in openapi()["paths"] if callable(openapi) else ():
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        found = re.fullmatch(pattern, scope["path"])
        names = [name for name, value in found.groupdict().items() if "\x00" in value] if found else []
        if names:
            return {"field": f"path.{names[0]}", "message": NUL}
    return {"field": "path", "message": NUL}


def _query_problems(scope: Scope) -> list[dict[str, str]]:
    raw: bytes = scope.get("query_string", b"")
    if b"%00" not in raw and b"\x00" not in raw:
        return []
    # The same decoding Starlette's QueryParams use, so the names are the parameters the route sees.
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    return [{"field": f"query.{name}", "message": NUL} for name, value in pairs if "\x00" in name + value]


def _header_problems(scope: Scope) -> list[dict[str, str]]:
    # HTTP/1.1 servers refuse NUL in header values, but not every ASGI server or proxy does.
    return [
        {"field": f"header.{name.decode('latin-1').lower()}", "message": NUL}
        for name, value in scope.get("headers") or []
        if b"\x00" in value
    ]


class InputRulesMiddleware:
    """Refuses a NUL in the path, query or headers at once; limits the body and checks a JSON body as it is read."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path_problem = _path_problem(scope)
        problems = ([path_problem] if path_problem else []) + _query_problems(scope) + _header_problems(scope)
        if problems:
            detail = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
            response = problem_response(
                Request(scope),
                status=422,
                problem_type=ValidationFailed.problem_type,
                title=ValidationFailed.title,
                detail=detail,
                errors=problems,
            )
            await response(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        await self.app(scope, self._checked(receive, headers), send)

    def _checked(self, receive: Receive, headers: dict[bytes, bytes]) -> Receive:
        """`receive`, raising PayloadTooLarge past the limit, and the JSON rules' error on the last chunk of a
        JSON body (the route gets that chunk, and so the whole body, only if the body passes)."""
        limit = self.max_body_bytes
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:

            async def refuse() -> Message:
                raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")

            return refuse
        check_json = is_json(headers)
        body = bytearray()  # kept only for a JSON body, to check it whole
        seen = 0

        async def checked() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] != "http.request":
                return message
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > limit:
                raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
            if check_json:
                body.extend(chunk)
                if body and not message.get("more_body", False):
                    parse_json(body)
            return message

        return checked
