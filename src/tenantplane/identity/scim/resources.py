"""Our users and groups as SCIM resources (scim2-models), and back: the provider and paging (filters: filters.py).

`userName` is the user's e-mail address (our sign-in name); `manager.value` of the enterprise extension is the
manager's SCIM id, which is our user id.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import EmailStr, TypeAdapter, ValidationError
from scim2_models import (
    Context,
    EnterpriseUser,
    Error,
    Group,
    GroupMember,
    InvalidValueException,
    Manager,
    Meta,
    ResourceType,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    User,
)

from tenantplane.identity.models import Group as GroupRow
from tenantplane.identity.models import User as UserRow

MAX_RESULTS = 200
BASE = "/scim/v2"

PROVIDER = ScimProvider(
    # Entra ID sends `remove` with a value to pick members, and `add` on a path filter that matches nothing.
    policy=ScimPolicy(
        remove_value_as_filter=ScimPolicy.RemoveValue.apply,
        unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
    ),
    models=[User, EnterpriseUser, Group],
    resource_types=[ResourceType.from_resource(User[EnterpriseUser]), ResourceType.from_resource(Group)],
    config=ServiceProviderConfig.model_validate(
        {
            "documentationUri": "https://github.com/tenantplane/tenantplane/blob/main/docs/scim.md",
            "patch": {"supported": True},
            "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": MAX_RESULTS},
            "changePassword": {"supported": False},
            "sort": {"supported": False},
            "etag": {"supported": False},
            "authenticationSchemes": [
                {
                    "type": "oauthbearertoken",
                    "name": "SCIM bearer token",
                    "description": "A per-tenant token (tpscim_…) an admin creates under /api/scim-tokens",
                    "primary": True,
                }
            ],
        }
    ),
)
UserModel: Any = PROVIDER.model_for("User")
GroupModel: Any = PROVIDER.model_for("Group")
_EMAIL = TypeAdapter(EmailStr)


def dump(resource: Any, **kwargs: Any) -> dict[str, Any]:
    out: dict[str, Any] = resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, **kwargs)
    return out


def error_body(status: int, detail: str, scim_type: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = Error(status=status, scim_type=scim_type, detail=detail).model_dump()
    return out


ENTERPRISE = str(EnterpriseUser.__schema__)
_OURS = ("id", "meta", "groups", "userName", "externalId", "schemas")


def stored_attributes(resource: Any) -> dict[str, Any]:
    """What to keep of a resource the directory sent (all but what our columns and memberships hold)."""
    data = dump(resource)
    return {key: value for key, value in data.items() if key not in _OURS}


def user_resource(user: UserRow, groups: Iterable[GroupRow] = ()) -> Any:
    if user.scim_attributes is not None:
        return _stored_user_resource(user, groups)
    manager = Manager(value=str(user.manager_id), ref=f"{BASE}/Users/{user.manager_id}") if user.manager_id else None
    enterprise = EnterpriseUser(manager=manager) if manager else None
    resource = UserModel(
        id=str(user.id),
        external_id=user.external_id,
        user_name=user.user_name or user.email,
        display_name=user.display_name,
        name={"formatted": user.display_name},
        active=user.is_active,
        emails=[{"value": user.email, "primary": True, "type": "work"}],
        groups=[{"value": str(g.id), "display": g.name, "type": "direct"} for g in groups] or None,
        meta=Meta(
            resource_type="User",
            created=user.created_at,
            last_modified=user.updated_at,
            location=f"{BASE}/Users/{user.id}",
        ),
    )
    if enterprise is not None:
        resource[EnterpriseUser] = enterprise
    return resource


def _stored_user_resource(user: UserRow, groups: Iterable[GroupRow]) -> Any:
    data: dict[str, Any] = dict(user.scim_attributes or {})
    data |= {
        "id": str(user.id),
        "userName": user.user_name or user.email,
        "meta": {
            "resourceType": "User",
            "created": user.created_at.isoformat(),
            "lastModified": user.updated_at.isoformat(),
            "location": f"{BASE}/Users/{user.id}",
        },
    }
    if user.external_id:
        data["externalId"] = user.external_id
    if "active" in data or not user.is_active:
        data["active"] = user.is_active
    found = [{"value": str(g.id), "display": g.name, "type": "direct", "$ref": f"{BASE}/Groups/{g.id}"} for g in groups]
    if found:
        data["groups"] = found
    extension = dict(data.pop(ENTERPRISE, None) or {})
    extension.pop("manager", None)
    if user.manager_id:
        extension["manager"] = {"value": str(user.manager_id), "$ref": f"{BASE}/Users/{user.manager_id}"}
    if extension:
        data[ENTERPRISE] = extension
    return UserModel.model_validate(data)


def group_resource(group: GroupRow, members: Iterable[UserRow]) -> Any:
    return GroupModel(
        id=str(group.id),
        external_id=group.external_id,
        display_name=group.name,
        members=[
            GroupMember(value=str(u.id), display=u.display_name, type="User", ref=f"{BASE}/Users/{u.id}")
            for u in members
        ]
        or None,
        meta=Meta(
            resource_type="Group",
            created=group.created_at,
            last_modified=group.updated_at,
            location=f"{BASE}/Groups/{group.id}",
        ),
    )


@dataclass(frozen=True)
class UserFields:
    """What a SCIM user resource sets of our row."""

    email: str
    user_name: str | None  # the userName as sent, when it is not the e-mail address
    display_name: str
    external_id: str | None
    is_active: bool
    manager_id: uuid.UUID | None


def _uuid(value: str | None, attribute: str) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidValueException(detail=f"{attribute}: '{value}' is no id of this service") from None


def _email(value: str | None) -> str | None:
    try:
        return str(_EMAIL.validate_python(value)).lower() if value else None
    except ValidationError:
        return None


def user_fields(resource: Any) -> UserFields:
    """The row's fields; the e-mail is the userName when it is one, else the primary (or first) e-mail, else a
    placeholder no mail reaches (such a user signs in through the identity provider only)."""
    name = (resource.user_name or "").strip()
    if not name:
        raise InvalidValueException(detail="userName: required")
    if len(name) > 255:
        raise InvalidValueException(detail="userName: at most 255 characters")
    emails = sorted(resource.emails or [], key=lambda e: not e.primary)
    email = _email(name) or next((found for e in emails if (found := _email(e.value))), None)
    if email is None:
        local = "".join(c if c.isalnum() or c in "._-" else "-" for c in name.lower())[:40].strip(".-") or "user"
        email = f"{local}.{uuid.uuid5(uuid.NAMESPACE_URL, name.lower()).hex[:12]}@users.scim.invalid"
    given = " ".join(
        p for p in (getattr(resource.name, "given_name", None), getattr(resource.name, "family_name", None)) if p
    )
    display = resource.display_name or getattr(resource.name, "formatted", None) or given or name
    enterprise = resource[EnterpriseUser]
    manager = enterprise.manager.value if enterprise and enterprise.manager else None
    return UserFields(
        email=email,
        user_name=None if _email(name) == email else name,
        display_name=display[:200],
        external_id=resource.external_id or None,
        is_active=resource.active is not False,
        manager_id=_uuid(manager, "manager.value"),
    )


def member_ids(resource: Any) -> set[uuid.UUID]:
    ids = set()
    for member in resource.members or []:
        found = _uuid(member.value, "members.value")
        if found is not None:
            ids.add(found)
    return ids
