"""The /scim/v2 routes (SCIM bearer token; SCIM error bodies) and the admin's /api/scim-tokens routes.

The /scim/v2 routes are left out of our OpenAPI document: SCIM describes itself (`/Schemas`, `/ResourceTypes`,
`/ServiceProviderConfig`), and they answer SCIM bodies, not our problem documents.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from scim2_models import Context, InvalidFilterException, SearchRequest

from tenantplane.identity.auth import Principal, require
from tenantplane.identity.permissions import Permission
from tenantplane.identity.scim import groups, tokens, users
from tenantplane.identity.scim.protocol import (
    ScimResponse,
    ScimRoute,
    body_of,
    list_response,
    paging,
    parse,
    parse_patch,
    response_parameters,
    scim_error,
)
from tenantplane.identity.scim.resources import BASE, PROVIDER, GroupModel, UserModel, dump
from tenantplane.identity.scim.schemas import ScimTokenCreate, ScimTokenCreated, ScimTokenRead
from tenantplane.identity.scim.tokens import ScimCaller
from tenantplane.kit.db import SessionDep
from tenantplane.kit.schemas import Page

scim_router = APIRouter(prefix=BASE, route_class=ScimRoute, include_in_schema=False)
tokens_router = APIRouter(tags=["identity"])
Admin = Annotated[Principal, Depends(require(Permission.USERS_MANAGE))]
StartIndex = Annotated[int | None, Query(alias="startIndex")]
Count = Annotated[int | None, Query()]
Attributes = Annotated[str | None, Query()]
Excluded = Annotated[str | None, Query(alias="excludedAttributes")]


@scim_router.get("/ServiceProviderConfig")
async def service_provider_config(caller: ScimCaller) -> ScimResponse:
    return ScimResponse(dump(PROVIDER.config))


@scim_router.get("/Schemas")
async def list_schemas(caller: ScimCaller) -> ScimResponse:
    found = list(PROVIDER.schemas)
    return list_response(type(found[0]), len(found), 1, found)


@scim_router.get("/Schemas/{schema_id}")
async def read_schema(schema_id: str, caller: ScimCaller) -> ScimResponse:
    for schema in PROVIDER.schemas:
        if schema.id == schema_id:
            return ScimResponse(dump(schema))
    return _not_found(f"No schema {schema_id}.")


@scim_router.get("/ResourceTypes")
async def list_resource_types(caller: ScimCaller) -> ScimResponse:
    found = list(PROVIDER.resource_types)
    return list_response(type(found[0]), len(found), 1, found)


@scim_router.get("/ResourceTypes/{name}")
async def read_resource_type(name: str, caller: ScimCaller) -> ScimResponse:
    for resource_type in PROVIDER.resource_types:
        if resource_type.id == name or resource_type.name == name:
            return ScimResponse(dump(resource_type))
    return _not_found(f"No resource type {name}.")


def _not_found(detail: str) -> ScimResponse:
    return scim_error(404, detail)


@scim_router.get("/Users")
async def list_users(
    caller: ScimCaller,
    session: SessionDep,
    filter: str | None = None,
    start_index: StartIndex = None,
    count: Count = None,
    attributes: Attributes = None,
    excluded: Excluded = None,
) -> ScimResponse:
    start, size = paging(start_index, count)
    total, rows = await users.list_users(session, caller.tenant, filter, start, size)
    found = [await users.as_resource(session, u) for u in rows]
    return list_response(UserModel, total, start, found, response_parameters=response_parameters(attributes, excluded))


@scim_router.get("/Users/{user_id}")
async def read_user(
    user_id: str, caller: ScimCaller, session: SessionDep, attributes: Attributes = None, excluded: Excluded = None
) -> ScimResponse:
    user = await users.get_user(session, caller.tenant, user_id)
    params = response_parameters(attributes, excluded)
    return ScimResponse(dump(await users.as_resource(session, user), response_parameters=params))


@scim_router.post("/Users")
async def create_user(request: Request, caller: ScimCaller, session: SessionDep) -> ScimResponse:
    resource = parse(UserModel, await body_of(request), Context.RESOURCE_CREATION_REQUEST)
    user = await users.create_user(session, actor=caller, resource=resource)
    created = await users.as_resource(session, user)
    return ScimResponse(dump(created), status_code=201, headers={"Location": f"{BASE}/Users/{user.id}"})


@scim_router.put("/Users/{user_id}")
async def replace_user(user_id: str, request: Request, caller: ScimCaller, session: SessionDep) -> ScimResponse:
    user = await users.get_user(session, caller.tenant, user_id)
    resource = parse(UserModel, await body_of(request), Context.RESOURCE_REPLACEMENT_REQUEST)
    await users.write_user(session, actor=caller, user=user, resource=resource)
    return ScimResponse(dump(await users.as_resource(session, user)))


@scim_router.patch("/Users/{user_id}")
async def patch_user(user_id: str, request: Request, caller: ScimCaller, session: SessionDep) -> ScimResponse:
    user = await users.get_user(session, caller.tenant, user_id)
    patch = parse_patch(UserModel, await body_of(request))
    resource = await users.as_resource(session, user)
    patch.patch(resource)
    await users.write_user(session, actor=caller, user=user, resource=resource)
    return ScimResponse(dump(await users.as_resource(session, user)))


@scim_router.delete("/Users/{user_id}", status_code=204)
async def delete_user(user_id: str, caller: ScimCaller, session: SessionDep) -> Response:
    user = await users.get_user(session, caller.tenant, user_id)
    await users.delete_user(session, actor=caller, user=user)
    return Response(status_code=204)


@scim_router.get("/Groups")
async def list_groups(
    caller: ScimCaller,
    session: SessionDep,
    filter: str | None = None,
    start_index: StartIndex = None,
    count: Count = None,
    attributes: Attributes = None,
    excluded: Excluded = None,
) -> ScimResponse:
    start, size = paging(start_index, count)
    total, rows = await groups.list_groups(session, caller.tenant, filter, start, size)
    skip_members = bool(excluded and "members" in excluded.lower())
    found = [await groups.as_resource(session, g, with_members=not skip_members) for g in rows]
    return list_response(GroupModel, total, start, found, response_parameters=response_parameters(attributes, excluded))


@scim_router.get("/Groups/{group_id}")
async def read_group(
    group_id: str, caller: ScimCaller, session: SessionDep, attributes: Attributes = None, excluded: Excluded = None
) -> ScimResponse:
    group = await groups.get_group(session, caller.tenant, group_id)
    params = response_parameters(attributes, excluded)
    return ScimResponse(dump(await groups.as_resource(session, group), response_parameters=params))


@scim_router.post("/Groups")
async def create_group(request: Request, caller: ScimCaller, session: SessionDep) -> ScimResponse:
    resource = parse(GroupModel, await body_of(request), Context.RESOURCE_CREATION_REQUEST)
    group = await groups.create_group(session, actor=caller, resource=resource)
    created = await groups.as_resource(session, group)
    return ScimResponse(dump(created), status_code=201, headers={"Location": f"{BASE}/Groups/{group.id}"})


@scim_router.put("/Groups/{group_id}")
async def replace_group(group_id: str, request: Request, caller: ScimCaller, session: SessionDep) -> ScimResponse:
    group = await groups.get_group(session, caller.tenant, group_id)
    resource = parse(GroupModel, await body_of(request), Context.RESOURCE_REPLACEMENT_REQUEST)
    await groups.write_group(session, actor=caller, group=group, resource=resource)
    return ScimResponse(dump(await groups.as_resource(session, group)))


@scim_router.patch("/Groups/{group_id}")
async def patch_group(group_id: str, request: Request, caller: ScimCaller, session: SessionDep) -> ScimResponse:
    group = await groups.get_group(session, caller.tenant, group_id)
    patch = parse_patch(GroupModel, await body_of(request))
    resource = await groups.as_resource(session, group)
    patch.patch(resource)
    await groups.write_group(session, actor=caller, group=group, resource=resource)
    return ScimResponse(dump(await groups.as_resource(session, group)))


@scim_router.delete("/Groups/{group_id}", status_code=204)
async def delete_group(group_id: str, caller: ScimCaller, session: SessionDep) -> Response:
    group = await groups.get_group(session, caller.tenant, group_id)
    await groups.delete_group(session, actor=caller, group=group)
    return Response(status_code=204)


@scim_router.post("/Users/.search")
async def search_users(request: Request, caller: ScimCaller, session: SessionDep) -> ScimResponse:
    search: Any = SearchRequest.model_validate(await body_of(request), scim_ctx=Context.SEARCH_REQUEST)
    start, size = paging(search.start_index, search.count)
    total, rows = await users.list_users(session, caller.tenant, search.filter, start, size)
    found = [await users.as_resource(session, u) for u in rows]
    return list_response(UserModel, total, start, found, response_parameters=search)


@scim_router.post("/Groups/.search")
async def search_groups(request: Request, caller: ScimCaller, session: SessionDep) -> ScimResponse:
    search: Any = SearchRequest.model_validate(await body_of(request), scim_ctx=Context.SEARCH_REQUEST)
    start, size = paging(search.start_index, search.count)
    total, rows = await groups.list_groups(session, caller.tenant, search.filter, start, size)
    found = [await groups.as_resource(session, g) for g in rows]
    return list_response(GroupModel, total, start, found, response_parameters=search)


@scim_router.post("/.search")
async def search_all(request: Request, caller: ScimCaller, session: SessionDep) -> ScimResponse:
    """RFC 7644 §3.4.3 at the root: users, then groups (a filter naming an attribute of one type only matches
    none of the other)."""
    search: Any = SearchRequest.model_validate(await body_of(request), scim_ctx=Context.SEARCH_REQUEST)
    start, size = paging(search.start_index, search.count)
    found: list[Any] = []
    total = 0
    for kind in (users, groups):
        try:
            count, _ = (
                await kind.list_users(session, caller.tenant, search.filter, 1, 0)
                if kind is users
                else await kind.list_groups(session, caller.tenant, search.filter, 1, 0)
            )
        except InvalidFilterException:
            continue
        offset = max(0, start - 1 - total)
        if len(found) < size and offset < count:
            if kind is users:
                _, rows = await users.list_users(session, caller.tenant, search.filter, offset + 1, size - len(found))
                found += [await users.as_resource(session, u) for u in rows]
            else:
                _, grows = await groups.list_groups(
                    session, caller.tenant, search.filter, offset + 1, size - len(found)
                )
                found += [await groups.as_resource(session, g) for g in grows]
        total += count
    return list_response(UserModel | GroupModel, total, start, found, response_parameters=search)


@scim_router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
async def unknown_endpoint(rest: str, caller: ScimCaller) -> ScimResponse:
    """Anything else under /scim/v2 is a SCIM error, not the API's problem document: 405 on a known endpoint
    (another method than it answers), 404 otherwise."""
    if rest.split("/")[0] in _ENDPOINTS:
        return scim_error(405, f"/{rest} does not answer this method.")
    return _not_found(f"No SCIM endpoint /{rest}.")


_ENDPOINTS = frozenset({"ServiceProviderConfig", "Schemas", "ResourceTypes", "Users", "Groups"})


@tokens_router.get("/api/scim-tokens", response_model=Page[ScimTokenRead])
async def list_scim_tokens(principal: Admin, session: SessionDep) -> Page[ScimTokenRead]:
    found = await tokens.list_tokens(session, principal.tenant)
    return Page(items=[ScimTokenRead.model_validate(t) for t in found], next_cursor=None)


@tokens_router.post("/api/scim-tokens", response_model=ScimTokenCreated, status_code=201)
async def create_scim_token(body: ScimTokenCreate, principal: Admin, session: SessionDep) -> ScimTokenCreated:
    """A SCIM bearer token for the identity provider; its secret is in this response only."""
    token, secret = await tokens.create_token(session, actor=principal, name=body.name)
    return ScimTokenCreated.model_validate({**ScimTokenRead.model_validate(token).model_dump(), "token": secret})


@tokens_router.delete("/api/scim-tokens/{scim_token_id}", status_code=204)
async def revoke_scim_token(scim_token_id: uuid.UUID, principal: Admin, session: SessionDep) -> Response:
    token = await tokens.get_token(session, principal.tenant, scim_token_id)
    await tokens.revoke_token(session, actor=principal, token=token)
    return Response(status_code=204)
