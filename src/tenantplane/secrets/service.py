"""Business rules of tenant secrets: create, replace the value, delete, and decrypt for an execution.

Services flush and write audit events in the caller's transaction; no audit summary ever holds a value.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.audit.service import record_event
from tenantplane.identity.auth import Principal
from tenantplane.kit.crypto import decrypt, encrypt
from tenantplane.kit.errors import Conflict, InUse
from tenantplane.kit.usage import uses_of
from tenantplane.secrets import repository as repo
from tenantplane.secrets.models import Secret
from tenantplane.secrets.schemas import SecretCreate, SecretUpdate


class MissingSecrets(Exception):
    """An execution needs secrets that no longer exist in its tenant."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(f"secrets not found in this tenant: {', '.join(names)}")
        self.names = names


async def create_secret(session: AsyncSession, *, actor: Principal, data: SecretCreate, secret_key: str) -> Secret:
    secret = Secret(tenant_id=actor.tenant, name=data.name, ciphertext=encrypt(secret_key, data.value))
    session.add(secret)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        message = f"A secret named '{data.name}' already exists in this tenant."
        raise Conflict(message, errors=[{"field": "name", "message": message}]) from exc
    await record_event(
        session,
        actor=actor,
        action="secret.created",
        object_type="secret",
        object_id=secret.id,
        summary={"name": secret.name},
    )
    return secret


async def update_secret(
    session: AsyncSession, *, actor: Principal, secret: Secret, data: SecretUpdate, secret_key: str
) -> Secret:
    """Replace the value; executions already running keep the value they started with."""
    secret.ciphertext = encrypt(secret_key, data.value)
    await session.flush()
    await session.refresh(secret, ["updated_at"])
    await record_event(
        session,
        actor=actor,
        action="secret.updated",
        object_type="secret",
        object_id=secret.id,
        summary={"name": secret.name},
    )
    return secret


async def delete_secret(session: AsyncSession, *, actor: Principal, secret: Secret) -> None:
    """Delete a secret no active runbook needs; one that is still needed is a 409 naming the runbooks."""
    users = await uses_of(session, "secret", secret.tenant_id, secret.name)
    if users:
        names = ", ".join(use.name for use in users)
        raise InUse(
            f"The secret '{secret.name}' is used by the runbooks {names}; remove it from them first.",
            used_by=[use.as_dict() for use in users],
        )
    await session.delete(secret)
    await session.flush()
    await record_event(
        session,
        actor=actor,
        action="secret.deleted",
        object_type="secret",
        object_id=secret.id,
        summary={"name": secret.name},
    )


async def load_secret_values(
    session: AsyncSession, *, tenant_id: uuid.UUID, names: Iterable[str], secret_key: str
) -> dict[str, str]:
    """The decrypted values of `names` in this tenant; raises MissingSecrets naming any that are gone.

    Raises `kit.crypto.SecretUnreadable` when the values were encrypted with another instance secret.
    """
    wanted = sorted(set(names))
    found = {s.name: s for s in await repo.secrets_named(session, tenant_id, wanted)}
    missing = [name for name in wanted if name not in found]
    if missing:
        raise MissingSecrets(missing)
    return {name: decrypt(secret_key, found[name].ciphertext) for name in wanted}
