"""The SCIM wire: `application/scim+json` responses, SCIM error bodies (RFC 7644 §3.12), request parsing, paging.

`ScimRoute` turns every error of a /scim/v2 route into a SCIM error body; the request's unit of work has already
rolled back when it does (the session dependency ends with the handler), so an error writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import ValidationError
from scim2_models import Context, Error, ListResponse, PatchOp, ResponseParameters, SCIMException

from tenantplane.identity.scim.resources import BASE, MAX_RESULTS, PROVIDER, error_body
from tenantplane.kit.errors import Conflict, DomainError

SCIM_JSON = "application/scim+json"


class ScimResponse(Response):
    media_type = SCIM_JSON

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


def scim_error(status: int, detail: str, scim_type: str | None = None) -> ScimResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="scim"'} if status == 401 else None
    return ScimResponse(error_body(status, detail, scim_type), status_code=status, headers=headers)


def _from_validation(exc: ValidationError) -> ScimResponse:
    errors = Error.from_validation_errors(exc)
    first = errors[0] if errors else Error(status=400, scim_type="invalidSyntax", detail=str(exc))
    return scim_error(int(first.status or 400), first.detail or "invalid request", first.scim_type or "invalidSyntax")


class ScimRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def scim_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SCIMException as exc:
                error = exc.to_error()
                return scim_error(int(error.status or 400), error.detail or str(exc), error.scim_type)
            except ValidationError as exc:
                return _from_validation(exc)
            except RequestValidationError as exc:
                return scim_error(400, "; ".join(str(e.get("msg")) for e in exc.errors()), "invalidValue")
            except DomainError as exc:
                scim_type = "uniqueness" if isinstance(exc, Conflict) and "already exists" in exc.detail else None
                return scim_error(exc.status_code, exc.detail, scim_type)

        return scim_handler


async def body_of(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise InvalidSyntax(detail="The body is not JSON.") from None
    if not isinstance(body, dict):
        raise InvalidSyntax(detail="The body must be a JSON object.")
    return body


class InvalidSyntax(SCIMException):
    status = 400
    scim_type = "invalidSyntax"


ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _manager(value: Any) -> Any:
    """Directories send the manager as `{"value": id}` (Okta, Keycloak) or a bare id (Entra ID), without the `$ref`
    RFC 7643 §4.3 requires: the reference is ours to make, so it is filled in before the payload is read."""
    if isinstance(value, str):
        value = {"value": value}
    if isinstance(value, dict) and value.get("value") and "$ref" not in value:
        value = {**value, "$ref": f"{BASE}/Users/{value['value']}"}
    return value


def parse(model: Any, body: dict[str, Any], ctx: Context) -> Any:
    extension = body.get(ENTERPRISE)
    if isinstance(extension, dict) and "manager" in extension:
        body = {**body, ENTERPRISE: {**extension, "manager": _manager(extension["manager"])}}
    with PROVIDER.policy:
        return model.model_validate(body, scim_ctx=ctx)


def parse_patch(model: Any, body: dict[str, Any]) -> Any:
    operations = body.get("Operations")
    if isinstance(operations, list):
        body = {**body, "Operations": [_patch_manager(op) for op in operations]}
    with PROVIDER.policy:
        return PatchOp[model].model_validate(body, scim_ctx=Context.RESOURCE_PATCH_REQUEST)


def _patch_manager(operation: Any) -> Any:
    if not isinstance(operation, dict) or "value" not in operation:
        return operation
    path = operation.get("path")
    if isinstance(path, str) and path.lower() in (
        f"{ENTERPRISE}:manager".lower(),
        f"{ENTERPRISE}:manager.value".lower(),
    ):
        value = operation["value"]
        value = value.get("value") if isinstance(value, dict) and path.lower().endswith(".value") else value
        return {**operation, "path": f"{ENTERPRISE}:manager", "value": _manager(value)}
    value = operation["value"]
    if isinstance(value, dict) and isinstance(value.get(ENTERPRISE), dict) and "manager" in value[ENTERPRISE]:
        extension = value[ENTERPRISE]
        return {**operation, "value": {**value, ENTERPRISE: {**extension, "manager": _manager(extension["manager"])}}}
    if isinstance(value, dict) and f"{ENTERPRISE}:manager" in value:
        return {**operation, "value": {**value, f"{ENTERPRISE}:manager": _manager(value[f"{ENTERPRISE}:manager"])}}
    return operation


def paging(start_index: int | None, count: int | None) -> tuple[int, int]:
    """RFC 7644 §3.4.2.4: startIndex below 1 means 1; count below 0 means 0; at most MAX_RESULTS."""
    start = max(1, start_index or 1)
    return start, max(0, min(MAX_RESULTS, MAX_RESULTS if count is None else count))


def list_response(model: Any, total: int, start: int, resources: list[Any], **dump: Any) -> ScimResponse:
    page = ListResponse[model](
        total_results=total, start_index=start, items_per_page=len(resources), resources=resources or None
    )
    return ScimResponse(page.model_dump(scim_ctx=Context.SEARCH_RESPONSE, **dump))


def response_parameters(attributes: str | None, excluded: str | None) -> Any:
    """The `attributes` / `excludedAttributes` a client asked for (comma-separated), or None."""
    if not attributes and not excluded:
        return None

    def split(text: str | None) -> list[str] | None:
        return [a.strip() for a in text.split(",") if a.strip()] if text else None

    return ResponseParameters(attributes=split(attributes), excluded_attributes=split(excluded))
