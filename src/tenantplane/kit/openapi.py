"""The OpenAPI document tells the truth about failures: every `/api` operation documents the RFC 9457 problems it
can answer, as `application/problem+json` with one `Problem` schema (what `kit.errors.problem_response` writes).

FastAPI documents only the 2xx answer and a 422 with its own `HTTPValidationError` body, which is not what the API
sends. The rules below follow from what every route shares (`kit.errors`, `kit.input_rules`, the identity
dependencies): any request may be unauthenticated (401), not allowed (403) or over its caller's rate (429); a path
that names a record may name none (404); a write may conflict with the record's state (409); a body may be too
large (413) or not JSON (400), a cursor not one the API returned (400); a parameter or body may be invalid (422);
the database may be out of reach for a moment (503, with `Retry-After`). A route that answers something more
declares it with `problems(...)`.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"

DESCRIPTIONS = {
    400: "Malformed request: the body is not JSON, or a cursor is not one this API returned",
    401: "Authentication required, or the credentials are not valid",
    403: "The caller may not do this",
    404: "No such record in the caller's tenant",
    409: "The record's state does not allow this (archived, in use, already decided, …)",
    413: "The request body is too large",
    422: "Invalid input: `errors` names each field at fault",
    429: "Too many requests: retry after `Retry-After` seconds",
    503: "The database is out of reach for a moment: retry after `Retry-After` seconds",
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem-details body.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "The request path"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string", "description": "The field at fault, e.g. `query.limit`, `name`"},
                    "message": {"type": "string"},
                    "code": {"type": "string"},
                },
            },
        },
        "used_by": {"type": "array", "items": {"type": "object"}, "description": "What still uses the record (409)"},
    },
    "additionalProperties": True,
}

_WRITES = {"post", "put", "patch", "delete"}


def problem_response(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": DESCRIPTIONS.get(status, "A problem"),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }
    if status in (429, 503):
        answer["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}}
    return answer


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route that answers a problem beyond the shared ones (e.g. 429 of a throttled login)."""
    return {status: problem_response(status) for status in statuses}


def shared_statuses(method: str, operation: dict[str, Any]) -> set[int]:
    """The problems every operation of this shape can answer."""
    parameters = operation.get("parameters", [])
    found = {401, 403, 429, 503}  # 429: the per-caller rate limit (identity.ratelimit)
    if any(p.get("in") == "path" for p in parameters):
        found.add(404)
    if method in _WRITES:
        found.add(409)
    if "requestBody" in operation:
        found |= {400, 413, 422}
    if any(p.get("in") in ("query", "path", "header") for p in parameters):
        found.add(422)
    if any(p.get("in") == "query" and p.get("name") == "cursor" for p in parameters):
        found.add(400)
    return found


def with_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """The document with every `/api` operation's problems added (FastAPI's 422 replaced), in place."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    schemas = schema["components"]["schemas"]
    for path, item in schema.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for status in shared_statuses(method, operation):
                responses[str(status)] = problem_response(status)
    if '"#/components/schemas/HTTPValidationError"' not in json.dumps(schema["paths"]):
        schemas.pop("HTTPValidationError", None)  # FastAPI's 422 body, which this API never sends
        schemas.pop("ValidationError", None)
    return schema


def document_problems(app: FastAPI) -> None:
    """Serve the document with problems added (built once, on first request, like FastAPI's own)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = with_problems(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
