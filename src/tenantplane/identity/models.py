"""ORM models of identity: tenants, users, groups, memberships, API tokens, platform administrators.

Web sessions and login throttling state live here too, since they guard these identities.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenantplane.kit.db import Base, IdMixin, TenantOwned


class Tenant(IdMixin, Base):
    __tablename__ = "tenants"

    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(server_default=text("true"))
    # Hosts/CIDRs this tenant's webhooks and http actions may reach; empty means "no extra restriction".
    egress_allow_list: Mapped[list[str]] = mapped_column(ARRAY(String(255)), server_default=text("'{}'"))
    # The group a leaver's pending approvals go to (else the tenant's admins); see identity/hooks.py.
    # No foreign key (groups reference tenants): a deleted group reads as none, and the admins are asked.
    fallback_group_id: Mapped[uuid.UUID | None]
    # Change type (`normal`, `emergency`) → id of the approval definition a change of that type gets when it names none.
    change_definitions: Mapped[dict[str, str]] = mapped_column(JSONB, server_default="{}")
    # Runbook executions this tenant may run at once (set by platform admins); None: the operator's default.
    max_running_runbooks: Mapped[int | None]


class User(TenantOwned, Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("tenant_id", "email"),
        Index("ix_users_delegate_id", "delegate_id", postgresql_where=text("delegate_id IS NOT NULL")),
        Index("ix_users_roles", "roles", postgresql_using="gin"),
        Index(
            "uq_users_tenant_id_external_id",
            "tenant_id",
            "external_id",
            unique=True,
            postgresql_where=text("external_id IS NOT NULL"),
        ),
    )

    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(Text)
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(64)), server_default=text("'{}'"))
    manager_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    is_active: Mapped[bool] = mapped_column(server_default=text("true"))
    delegate_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    delegate_until: Mapped[datetime | None]
    # Bumped when the password changes or the user is disabled: older access tokens stop working.
    token_generation: Mapped[int] = mapped_column(server_default=text("0"))
    # The directory's id of the user, and who keeps the row ('scim': not editable by hand but for app roles).
    external_id: Mapped[str | None] = mapped_column(String(255))
    managed_by: Mapped[str | None] = mapped_column(String(16))
    # The directory's userName when it is not the e-mail address (`jdoe`); SCIM shows it, sign-in uses the email.
    user_name: Mapped[str | None] = mapped_column(String(255))
    # What the directory sent of the SCIM resource (nickName, phoneNumbers, …), given back as it came.
    scim_attributes: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # Notification preferences (the in-app inbox always): approval and request notices by e-mail, by Slack DM.
    notify_email: Mapped[bool] = mapped_column(server_default=text("true"))
    notify_slack: Mapped[bool] = mapped_column(server_default=text("true"))


class Group(TenantOwned, Base):
    __tablename__ = "groups"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        Index(
            "uq_groups_tenant_id_external_id",
            "tenant_id",
            "external_id",
            unique=True,
            postgresql_where=text("external_id IS NOT NULL"),
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    external_id: Mapped[str | None] = mapped_column(String(255))
    managed_by: Mapped[str | None] = mapped_column(String(16))


class GroupMembership(Base):
    __tablename__ = "group_memberships"

    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class ApiToken(TenantOwned, Base):
    __tablename__ = "api_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class PlatformAdmin(IdMixin, Base):
    __tablename__ = "platform_admins"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(server_default=text("true"))


class UserSession(TenantOwned, Base):
    """A web sign-in: its id is in the signed cookie, so signing out (or a password change) revokes it here."""

    __tablename__ = "user_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Failed sign-ins of one account from one client address (`address` '*' counts them from everywhere).

    Keyed on the pair, so failures from one address never lock the account for another.
    """

    __tablename__ = "login_throttles"

    # SHA-256 of "<tenant slug>\0<email>": unknown accounts are throttled the same way, without storing them.
    account_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(server_default=text("0"))
    last_failed_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    locked_until: Mapped[datetime | None]


from tenantplane.identity.oidc import models as _oidc_models  # noqa: E402, F401  (single sign-on tables)
from tenantplane.identity.scim import models as _scim_models  # noqa: E402, F401  SCIM tokens (identity/scim/)
