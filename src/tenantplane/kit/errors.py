"""Domain errors that carry their HTTP status, and RFC 9457 problem-details rendering.

Handlers never build error responses by hand: they raise one of these.
"""

from __future__ import annotations

from typing import Any, ClassVar

import psycopg
import psycopg_pool
import sqlalchemy.exc
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

log = structlog.get_logger("tenantplane.errors")
PROBLEM_BASE = "https://tenantplane.dev/problems/"


class DomainError(Exception):
    status_code: ClassVar[int] = 400
    problem_type: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class Unauthorized(DomainError):
    status_code = 401
    problem_type = "unauthorized"
    title = "Authentication required"


class Forbidden(DomainError):
    status_code = 403
    problem_type = "forbidden"
    title = "Not allowed"


class NotFound(DomainError):
    status_code = 404
    problem_type = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status_code = 409
    problem_type = "conflict"
    title = "Conflict"


class InUse(Conflict):
    """Archiving what live objects still use: `used_by` lists them (`{type, id, name}`); `?force=true` overrides."""

    problem_type = "in-use"
    title = "Still in use"

    def __init__(self, detail: str, *, used_by: list[dict[str, str]]) -> None:
        super().__init__(detail)
        self.used_by = used_by


class MalformedJSON(DomainError):
    """The body is not JSON at all (syntax, NaN or Infinity): there is no field to name."""

    status_code = 400
    problem_type = "malformed-json"
    title = "Malformed JSON"


class BadCursor(DomainError):
    """A `cursor` query parameter this API did not hand out (tampered, truncated, from another list)."""

    status_code = 400
    problem_type = "bad-cursor"
    title = "Bad cursor"

    def __init__(self) -> None:
        message = "is not a cursor this API returned; start again without one"
        super().__init__(f"cursor: {message}", errors=[{"field": "query.cursor", "message": message}])


class PayloadTooLarge(DomainError):
    status_code = 413
    problem_type = "payload-too-large"
    title = "Request body too large"


class ValidationFailed(DomainError):
    status_code = 422
    problem_type = "validation-error"
    title = "Invalid input"

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", errors=[{"field": field, "message": message}])


class TooManyRequests(DomainError):
    status_code = 429
    problem_type = "too-many-requests"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


def problem_response(
    request: Request,
    *,
    status: int,
    problem_type: str,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + problem_type,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    if errors is not None:
        body["errors"] = errors
    body.update(extensions or {})  # RFC 9457 extension members, e.g. `used_by`
    return JSONResponse(body, status_code=status, headers=headers, media_type="application/problem+json")


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)] or ["body"]
    return ".".join(parts)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
    if isinstance(exc, Unauthorized):
        headers = {"WWW-Authenticate": "Bearer"}
    return problem_response(
        request,
        status=exc.status_code,
        problem_type=exc.problem_type,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=headers,
        extensions={"used_by": exc.used_by} if isinstance(exc, InUse) else None,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": _field_path(tuple(e["loc"])), "message": e["msg"], "code": e["type"]} for e in exc.errors()]
    if any(e["code"] == "json_invalid" for e in errors):
        return problem_response(
            request,
            status=MalformedJSON.status_code,
            problem_type=MalformedJSON.problem_type,
            title=MalformedJSON.title,
            detail="The request body is not valid JSON.",
            errors=errors,
        )
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem_response(
        request, status=422, problem_type="validation-error", title="Invalid input", detail=detail, errors=errors
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.__cause__, DomainError):  # e.g. the body limit tripped while FastAPI read the body
        return await _domain_error(request, exc.__cause__)
    slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return problem_response(
        request,
        status=exc.status_code,
        problem_type=slug,
        title=str(exc.detail),
        detail=str(exc.detail),
        headers=headers or None,
    )


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first matching route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods
    return sorted(methods)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", exc_info=exc, path=request.url.path)
    return problem_response(
        request,
        status=500,
        problem_type="internal-error",
        title="Internal error",
        detail="An unexpected error occurred; the request id identifies it in the logs.",
    )


# Seconds a client is asked to wait while the database is out of reach (a restart or failover takes a few).
DATABASE_RETRY_AFTER = 2
_UNREACHABLE: tuple[type[Exception], ...] = (
    sqlalchemy.exc.OperationalError,  # connection refused or lost, server shutting down, recovery in progress
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection came free in time
    psycopg.OperationalError,  # the credential-lookup pool (raw psycopg)
    psycopg_pool.PoolTimeout,
)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """503 with `Retry-After` while the database cannot be reached: the pools reconnect by themselves."""
    log.warning("database unavailable", path=request.url.path, error=f"{type(exc).__name__}: {exc}".splitlines()[0])
    return problem_response(
        request,
        status=503,
        problem_type="database-unavailable",
        title="Service unavailable",
        detail="The database cannot be reached just now. Retry shortly: a request with an Idempotency-Key is safe "
        "to repeat.",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
    )


def install_error_handlers(app: FastAPI) -> None:
    for unreachable in _UNREACHABLE:
        app.add_exception_handler(unreachable, _database_unavailable)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
