"""Runbook queries, each starting from a tenant-scoped base statement.

Another tenant's runbook (or version) is indistinguishable from a missing one (NotFound).
"""

from __future__ import annotations

import copy
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.identity.models import Tenant
from tenantplane.identity.repository import contains
from tenantplane.kit.errors import NotFound
from tenantplane.kit.pagination import paginate
from tenantplane.runbooks.models import Runbook, RunbookVersion

# `session.info` key of rows read along with others, kept alive for the rest of the session.
_KEPT = "tenantplane.runbooks.kept_rows"


def runbooks_of(tenant_id: uuid.UUID) -> Select[tuple[Runbook]]:
    return select(Runbook).where(Runbook.tenant_id == tenant_id)


def versions_of(tenant_id: uuid.UUID, runbook_id: uuid.UUID) -> Select[tuple[RunbookVersion]]:
    return select(RunbookVersion).where(RunbookVersion.tenant_id == tenant_id, RunbookVersion.runbook_id == runbook_id)


async def get_runbook(
    session: AsyncSession, tenant_id: uuid.UUID, runbook_id: uuid.UUID, *, for_update: bool = False
) -> Runbook:
    if for_update:
        runbook = await session.scalar(runbooks_of(tenant_id).where(Runbook.id == runbook_id).with_for_update())
    elif session.identity_key(Runbook, runbook_id) in session.identity_map:  # this transaction read it already
        runbook = await session.get(Runbook, runbook_id)
    else:  # with its tenant, which starting an execution of it reads next (slots, egress): one round trip for both
        stmt = select(Runbook, Tenant).join(Tenant, Tenant.id == Runbook.tenant_id)
        found = (await session.execute(stmt.where(Runbook.id == runbook_id, Runbook.tenant_id == tenant_id))).first()
        runbook = None if found is None else found[0]
        if found is not None:  # the identity map holds objects weakly: keep the tenant for `session.get` to find
            session.info.setdefault(_KEPT, []).append(found[1])
    if runbook is None or runbook.tenant_id != tenant_id:
        raise NotFound(f"No runbook {runbook_id} in this tenant.")
    return runbook


async def get_version(
    session: AsyncSession, tenant_id: uuid.UUID, runbook_id: uuid.UUID, version: int
) -> RunbookVersion:
    found = await session.scalar(versions_of(tenant_id, runbook_id).where(RunbookVersion.version == version))
    if found is None:
        raise NotFound(f"Runbook {runbook_id} has no version {version} in this tenant.")
    return found


# Definitions of runbook versions read per process: a version never changes once saved. Copies are handed out.
_DEFINITIONS: OrderedDict[tuple[uuid.UUID, uuid.UUID, int], dict[str, Any]] = OrderedDict()
DEFINITION_CACHE_SIZE = 512


async def version_definition(
    session: AsyncSession, tenant_id: uuid.UUID, runbook_id: uuid.UUID, version: int
) -> dict[str, Any]:
    """The stored definition of one runbook version (`get_version(...).definition`), read once per process."""
    key = (tenant_id, runbook_id, version)
    found = _DEFINITIONS.get(key)
    if found is None:
        found = (await get_version(session, tenant_id, runbook_id, version)).definition
        _DEFINITIONS[key] = found
        while len(_DEFINITIONS) > DEFINITION_CACHE_SIZE:
            _DEFINITIONS.popitem(last=False)
    else:
        _DEFINITIONS.move_to_end(key)
    return copy.deepcopy(found)


async def list_versions(session: AsyncSession, tenant_id: uuid.UUID, runbook_id: uuid.UUID) -> Sequence[RunbookVersion]:
    stmt = versions_of(tenant_id, runbook_id).order_by(RunbookVersion.version.desc())
    return (await session.scalars(stmt)).all()


async def list_runbooks(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    q: str | None,
    include_archived: bool,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[Runbook], str | None]:
    stmt = runbooks_of(tenant_id)
    if not include_archived:
        stmt = stmt.where(Runbook.archived_at.is_(None))
    if q:
        stmt = stmt.where(Runbook.name.ilike(contains(q)))
    return await paginate(session, stmt, created_col=Runbook.created_at, id_col=Runbook.id, cursor=cursor, limit=limit)


async def runbooks_using_secret(session: AsyncSession, tenant_id: uuid.UUID, name: str) -> list[tuple[uuid.UUID, str]]:
    """Ids and names of the runbooks in use whose current version lists the secret `name`."""
    stmt = (
        select(Runbook.id, Runbook.name)
        .join(
            RunbookVersion,
            (RunbookVersion.runbook_id == Runbook.id) & (RunbookVersion.version == Runbook.current_version),
        )
        .where(
            Runbook.tenant_id == tenant_id,
            Runbook.archived_at.is_(None),
            RunbookVersion.definition.contains({"secrets": [name]}),
        )
    )
    return [(row.id, row.name) for row in await session.execute(stmt)]
