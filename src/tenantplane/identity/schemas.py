"""Request and response shapes of the identity API (fixed shapes from PRODUCT.md §2).

Input schemas refuse unknown fields; emails are compared lower-cased.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, EmailStr, Field, StringConstraints

from tenantplane.kit import emails as _emails  # noqa: F401  internal domains are addresses too
from tenantplane.kit.schemas import InputSchema, ReadSchema


def _lower(value: str) -> str:
    return value.lower()


Email = Annotated[EmailStr, AfterValidator(_lower)]
RoleName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.-]{0,63}$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Password = Annotated[str, StringConstraints(min_length=8, max_length=1024, strip_whitespace=False)]


class TokenRequest(InputSchema):
    tenant: Slug | None = Field(default=None, description="Tenant slug; omit to sign in as a platform administrator")
    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024, strip_whitespace=False)]


class TokenResponse(ReadSchema):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class SessionResponse(ReadSchema):
    csrf_token: str
    expires_in: int
    user: UserRead


class UserCreate(InputSchema):
    email: Email
    display_name: Name
    password: Password | None = None
    roles: list[RoleName] = Field(default_factory=list, max_length=50)
    manager_id: uuid.UUID | None = None
    is_active: bool = True


class UserUpdate(InputSchema):
    display_name: Name | None = None
    password: Password | None = None
    roles: list[RoleName] | None = Field(default=None, max_length=50)
    manager_id: uuid.UUID | None = None
    is_active: bool | None = None
    delegate_id: uuid.UUID | None = None
    delegate_until: datetime | None = None


class NotificationPreferences(ReadSchema):
    """How the user hears of approvals and requests: the in-app inbox always, e-mail and Slack DMs if they like."""

    in_app: Literal[True] = True
    email: bool
    slack: bool


class NotificationPreferencesWrite(InputSchema):
    """The preferences to change (left out: unchanged); the in-app inbox cannot be turned off."""

    in_app: Literal[True] | None = None
    email: bool | None = None
    slack: bool | None = None


class MeUpdate(InputSchema):
    display_name: Name | None = None
    delegate_id: uuid.UUID | None = None
    delegate_until: datetime | None = None
    notifications: NotificationPreferencesWrite | None = None


class UserRead(ReadSchema):
    id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    display_name: str
    roles: list[str]
    manager_id: uuid.UUID | None
    is_active: bool
    delegate_id: uuid.UUID | None
    delegate_until: datetime | None
    external_id: str | None = None
    managed_by: str | None = Field(default=None, description="'scim' when the directory keeps this user")
    created_at: datetime
    updated_at: datetime


class MeRead(UserRead):
    tenant_slug: str
    tenant_name: str
    permissions: list[str]
    notifications: NotificationPreferences


class GroupCreate(InputSchema):
    name: Name
    description: Annotated[str, StringConstraints(max_length=2000)] = ""


class GroupUpdate(InputSchema):
    name: Name | None = None
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None


class GroupRead(ReadSchema):
    id: uuid.UUID
    name: str
    description: str
    external_id: str | None = None
    managed_by: str | None = Field(default=None, description="'scim' when the directory keeps this group")
    created_at: datetime


class MemberAdd(InputSchema):
    user_id: uuid.UUID


class RoleRead(ReadSchema):
    name: str
    built_in: bool
    permissions: list[str]
    user_count: int


class ApiTokenCreate(InputSchema):
    name: Name
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class ApiTokenRead(ReadSchema):
    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreated(ApiTokenRead):
    token: str = Field(description="The secret; shown only in this response")


class TenantCreate(InputSchema):
    slug: Slug
    name: Name


class TenantUpdate(InputSchema):
    name: Name | None = None
    is_active: bool | None = None
    max_running_runbooks: int | None = Field(
        default=None,
        ge=0,
        le=10_000,
        description="Runbook executions the tenant may run at once (0: no limit); null: the operator's default",
    )


class ChangeDefinitionsRead(ReadSchema):
    """The approval definition a change of each type gets when it names none; null = none (such changes are 422)."""

    normal: uuid.UUID | None = None
    emergency: uuid.UUID | None = None


class ChangeDefinitionsUpdate(InputSchema):
    """A type given sets its default (null clears it); a type left out keeps the default it has."""

    normal: uuid.UUID | None = None
    emergency: uuid.UUID | None = None


class TenantSettingsRead(ReadSchema):
    id: uuid.UUID
    slug: str
    name: str
    egress_allow_list: list[str]
    change_definitions: ChangeDefinitionsRead
    fallback_group_id: uuid.UUID | None = None


class TenantSettingsUpdate(InputSchema):
    name: Name | None = None
    egress_allow_list: list[Annotated[str, StringConstraints(min_length=1, max_length=255)]] | None = Field(
        default=None, max_length=200, description="Hosts or CIDRs outgoing HTTP may reach; empty = no restriction"
    )
    change_definitions: ChangeDefinitionsUpdate | None = Field(
        default=None,
        description="Default approval definitions of normal and emergency changes (standard changes need none)",
    )
    fallback_group_id: uuid.UUID | None = Field(
        default=None,
        description="Group a leaver's pending approvals go to (null: the tenant's admins)",
    )


class TenantRead(ReadSchema):
    id: uuid.UUID
    slug: str
    name: str
    is_active: bool
    max_running_runbooks: int | None
    created_at: datetime


SessionResponse.model_rebuild()
