"""Business rules of identity: tenants, users, groups, memberships, API tokens, bootstrap.

Services flush and write audit events in the caller's transaction; they never commit.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.identity import admins, hooks, sessions, throttle
from tenantplane.identity import repository as repo
from tenantplane.identity.auth import Principal
from tenantplane.identity.models import ApiToken, Group, GroupMembership, PlatformAdmin, Tenant, User
from tenantplane.identity.schemas import (
    GroupCreate,
    GroupUpdate,
    MeUpdate,
    UserCreate,
    UserUpdate,
)
from tenantplane.identity.security import hash_password, new_api_token
from tenantplane.kit.errors import Conflict, ValidationFailed

# What an admin may still change by hand on a row the directory keeps (SCIM): app roles, and delegation.
HAND_EDITABLE = frozenset({"roles", "delegate_id", "delegate_until"})


def refuse_hand_edit(actor: Principal | None, managed_by: str | None, kind: str, changes: dict[str, Any]) -> None:
    """409 naming each field when a directory-managed user or group is changed other than through SCIM."""
    if managed_by is None or (actor is not None and actor.kind == "scim"):
        return
    fields = sorted(set(changes) - HAND_EDITABLE) if kind == "user" else sorted(changes) or ["members"]
    if fields:
        message = f"This {kind} is kept by the directory ({managed_by}); change it there"
        raise Conflict(message + ".", errors=[{"field": f, "message": message} for f in fields])


async def _flush_unique(session: AsyncSession, field: str, message: str) -> None:
    """Flush inside a savepoint so a uniqueness clash becomes a 409 and leaves the transaction usable."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(message, errors=[{"field": field, "message": message}]) from exc


async def create_tenant(session: AsyncSession, *, actor: Principal | None, slug: str, name: str) -> Tenant:
    tenant = Tenant(slug=slug, name=name)
    session.add(tenant)
    await _flush_unique(session, "slug", f"A tenant with slug '{slug}' already exists.")
    await record_event(
        session,
        actor=actor,
        tenant_id=tenant.id,
        action="tenant.created",
        object_type="tenant",
        object_id=tenant.id,
        summary={"slug": slug, "name": name},
    )
    return tenant


async def _check_user_ref(session: AsyncSession, tenant_id: uuid.UUID, field: str, user_id: uuid.UUID) -> None:
    if await session.scalar(repo.users_of(tenant_id).where(User.id == user_id)) is None:
        raise ValidationFailed.field(field, f"no user {user_id} in this tenant")


async def create_user(
    session: AsyncSession, *, actor: Principal | None, tenant_id: uuid.UUID, data: UserCreate
) -> User:
    if data.manager_id is not None:
        await _check_user_ref(session, tenant_id, "manager_id", data.manager_id)
    user = User(
        tenant_id=tenant_id,
        email=data.email,
        display_name=data.display_name,
        password_hash=hash_password(data.password) if data.password else None,
        roles=sorted(set(data.roles)),
        manager_id=data.manager_id,
        is_active=data.is_active,
    )
    session.add(user)
    await _flush_unique(session, "email", f"A user with email '{data.email}' already exists in this tenant.")
    await record_event(
        session,
        actor=actor,
        tenant_id=tenant_id,
        action="user.created",
        object_type="user",
        object_id=user.id,
        summary=data.model_dump(exclude={"password"}),
    )
    return user


async def _keep_an_admin(session: AsyncSession, user: User, changes: dict[str, Any]) -> None:
    roles = changes["roles"] if changes.get("roles") is not None else user.roles
    active = changes["is_active"] if changes.get("is_active") is not None else user.is_active
    if not admins.is_active_admin(roles, active):
        field = "is_active" if admins.ADMIN in roles else "roles"
        await admins.refuse_removing_last_admin(session, user=user, field=field)


async def update_user(
    session: AsyncSession,
    *,
    actor: Principal,
    user: User,
    data: UserUpdate,
    keep_an_admin: bool = True,
    noted: dict[str, Any] | None = None,
) -> User:
    """Apply a partial update; `keep_an_admin=False` leaves the last-admin rule to a caller checking a whole batch.

    `noted`: changes the caller made itself (preferences), shown in the audit event with the others.
    """
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    refuse_hand_edit(actor, user.managed_by, "user", changes)
    for field in ("manager_id", "delegate_id"):
        ref = changes.get(field)
        if ref is not None:
            if ref == user.id:
                raise ValidationFailed.field(field, "a user cannot be their own manager or delegate")
            await _check_user_ref(session, user.tenant_id, field, ref)
    if keep_an_admin and ("roles" in changes or "is_active" in changes):
        await _keep_an_admin(session, user, changes)
    password = changes.pop("password", None)
    if password is not None:
        user.password_hash = hash_password(password)
        user.token_generation += 1
    deactivated = changes.get("is_active") is False and user.is_active
    if deactivated:
        user.token_generation += 1
    if "roles" in changes and changes["roles"] is not None:
        changes["roles"] = sorted(set(changes["roles"]))
    for field, value in changes.items():
        if value is None and field in ("display_name", "roles", "is_active"):
            raise ValidationFailed.field(field, "may not be null")
        setattr(user, field, value)
    if password is not None or changes.get("is_active") is False:
        # Older tokens already fail on the generation; this ends the web sessions on the server as well.
        await sessions.end_all_sessions(session, user_id=user.id)
    await session.flush()
    summary = {**changes, **(noted or {}), **({"password_changed": True} if password else {})}
    await record_event(
        session, actor=actor, action="user.updated", object_type="user", object_id=user.id, summary=summary
    )
    if deactivated:
        await hooks.user_deactivated(session, hooks.UserDeactivated(user.tenant_id, user.id, actor))
    return user


async def unlock_account(session: AsyncSession, *, actor: Principal | None, user: User) -> int:
    """Forget the user's failed sign-ins from every address; how many addresses were locked out."""
    tenant = await repo.get_tenant(session, user.tenant_id)
    locked = await throttle.unlock(session, throttle.account_key(tenant.slug, user.email))
    await record_event(
        session,
        actor=actor,
        tenant_id=user.tenant_id,
        action="user.unlocked",
        object_type="user",
        object_id=user.id,
        summary={"email": user.email, "locked_addresses": locked},
    )
    return locked


async def sign_out(session: AsyncSession, *, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
    """Revoke one web session of the user (nothing, and no event, when it had already ended)."""
    tenant_id = await sessions.end_session(session, session_id=session_id, user_id=user_id)
    user = await session.get(User, user_id) if tenant_id else None
    if user is None or user.tenant_id != tenant_id:
        return
    actor = Principal(
        kind="user", id=user.id, label=user.email, tenant_id=user.tenant_id, roles=frozenset(user.roles), via="session"
    )
    await record_event(session, actor=actor, action="auth.signed_out", object_type="user", object_id=user.id)


async def update_me(session: AsyncSession, *, actor: Principal, user: User, data: MeUpdate) -> User:
    changes = data.model_dump(exclude_unset=True)
    preferences = {k: v for k, v in (changes.pop("notifications", None) or {}).items() if k != "in_app"}
    for name, value in preferences.items():
        if value is None:
            raise ValidationFailed.field(f"notifications.{name}", "may not be null (true or false)")
        setattr(user, f"notify_{name}", value)
    noted = {"notifications": preferences} if preferences else {}
    return await update_user(session, actor=actor, user=user, data=UserUpdate.model_validate(changes), noted=noted)


async def create_group(session: AsyncSession, *, actor: Principal, data: GroupCreate) -> Group:
    group = Group(tenant_id=actor.tenant, name=data.name, description=data.description)
    session.add(group)
    await _flush_unique(session, "name", f"A group named '{data.name}' already exists in this tenant.")
    await record_event(
        session, actor=actor, action="group.created", object_type="group", object_id=group.id, summary=data.model_dump()
    )
    return group


async def update_group(session: AsyncSession, *, actor: Principal, group: Group, data: GroupUpdate) -> Group:
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    refuse_hand_edit(actor, group.managed_by, "group", changes)
    for field, value in changes.items():
        setattr(group, field, value)
    await _flush_unique(session, "name", f"A group named '{data.name}' already exists in this tenant.")
    await record_event(
        session, actor=actor, action="group.updated", object_type="group", object_id=group.id, summary=changes
    )
    return group


async def delete_group(session: AsyncSession, *, actor: Principal, group: Group) -> None:
    refuse_hand_edit(actor, group.managed_by, "group", {"id": group.id})
    await session.delete(group)
    await session.flush()
    await record_event(
        session,
        actor=actor,
        action="group.deleted",
        object_type="group",
        object_id=group.id,
        summary={"name": group.name},
    )


async def add_member(session: AsyncSession, *, actor: Principal, group: Group, user_id: uuid.UUID) -> None:
    refuse_hand_edit(actor, group.managed_by, "group", {"members": user_id})
    await _check_user_ref(session, group.tenant_id, "user_id", user_id)
    if await repo.membership(session, group.tenant_id, group.id, user_id) is not None:
        raise Conflict("The user is already a member of this group.")
    session.add(GroupMembership(group_id=group.id, user_id=user_id, tenant_id=group.tenant_id))
    await _flush_unique(session, "user_id", "The user is already a member of this group.")
    await record_event(
        session,
        actor=actor,
        action="group.member_added",
        object_type="group",
        object_id=group.id,
        summary={"user_id": user_id},
    )


async def remove_member(session: AsyncSession, *, actor: Principal, group: Group, user_id: uuid.UUID) -> None:
    refuse_hand_edit(actor, group.managed_by, "group", {"members": user_id})
    result = await session.execute(
        delete(GroupMembership).where(
            GroupMembership.tenant_id == group.tenant_id,
            GroupMembership.group_id == group.id,
            GroupMembership.user_id == user_id,
        )
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise ValidationFailed.field("user_id", "is not a member of this group")
    await record_event(
        session,
        actor=actor,
        action="group.member_removed",
        object_type="group",
        object_id=group.id,
        summary={"user_id": user_id},
    )


async def create_api_token(
    session: AsyncSession, *, actor: Principal | None, user: User, name: str, expires_in_days: int | None
) -> tuple[ApiToken, str]:
    secret, prefix, digest = new_api_token()
    expires_at = datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken(
        tenant_id=user.tenant_id, user_id=user.id, name=name, prefix=prefix, secret_hash=digest, expires_at=expires_at
    )
    session.add(token)
    await session.flush()
    await record_event(
        session,
        actor=actor,
        tenant_id=user.tenant_id,
        action="api_token.created",
        object_type="api_token",
        object_id=token.id,
        summary={"name": name, "user_id": user.id, "expires_at": expires_at},
    )
    return token, secret


async def revoke_api_token(session: AsyncSession, *, actor: Principal, token: ApiToken) -> None:
    if token.revoked_at is not None:
        raise Conflict("The API token is already revoked.")
    token.revoked_at = datetime.now(UTC)
    await session.flush()
    await record_event(
        session,
        actor=actor,
        action="api_token.revoked",
        object_type="api_token",
        object_id=token.id,
        summary={"name": token.name},
    )


async def bootstrap(
    session: AsyncSession, *, slug: str, admin_email: str, admin_password: str
) -> tuple[Tenant, User, bool]:
    """Find or create the tenant and its admin; returns whether anything was created."""
    created = False
    tenant = await repo.find_tenant(session, slug)
    if tenant is None:
        tenant = await create_tenant(session, actor=None, slug=slug, name=slug.replace("-", " ").title())
        created = True
    user = await repo.find_user_by_email(session, tenant.id, admin_email)
    if user is None:
        user = await create_user(
            session,
            actor=None,
            tenant_id=tenant.id,
            data=UserCreate(email=admin_email, display_name="Administrator", password=admin_password, roles=["admin"]),
        )
        created = True
    elif "admin" not in user.roles:
        user.roles = sorted({*user.roles, "admin"})
        await record_event(
            session,
            actor=None,
            tenant_id=tenant.id,
            action="user.updated",
            object_type="user",
            object_id=user.id,
            summary={"roles": user.roles},
        )
        created = True
    return tenant, user, created


async def create_platform_admin(session: AsyncSession, *, email: str, password: str) -> PlatformAdmin:
    admin = PlatformAdmin(email=email.lower(), password_hash=hash_password(password))
    session.add(admin)
    await _flush_unique(session, "email", f"A platform administrator '{email}' already exists.")
    await record_event(
        session,
        actor=None,
        action="platform_admin.created",
        object_type="platform_admin",
        object_id=admin.id,
        summary={"email": admin.email},
    )
    return admin
