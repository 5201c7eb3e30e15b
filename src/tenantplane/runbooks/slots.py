"""Each tenant runs at most so many runbook executions at once (issue 14): the rest wait their turn, in order.

A runbook execution holds a worker slot and a sandboxed process for as long as its scripts run, so one tenant's flood
of long runs (a runaway schedule, a webhook storm) would otherwise fill every worker and starve the others, however
fairly the queue hands out jobs. Before a run starts, its job takes a slot: under a per-tenant advisory lock it counts
the tenant's running runbooks, and at the limit the job goes to `waiting` (untried, in the same fenced transaction)
instead of running. A run that ends frees its slot by waking the tenant's oldest waiting jobs, in the transaction that
ends it; the workers' maintenance wakes any left waiting with a slot free (a wake lost to a crash, a limit raised).

Inline built-ins (`echo`) run and end inside one transaction: they never hold a slot. Workflows waiting at a gate
or a timer are not running work either; their runbook steps are runbook executions and count.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.executions.models import Execution
from tenantplane.identity.models import Tenant
from tenantplane.jobs import queue
from tenantplane.jobs.models import Job
from tenantplane.jobs.registry import JobContext
from tenantplane.kit.db import Database
from tenantplane.settings import Settings

# First key of the advisory locks that serialise a tenant's slot counting (the second is the tenant's hash).
_LOCK_SPACE = 0x52554E42  # "RUNB"
# `session.info` keys: the tenant of the slot-holding run this transaction ends (`ending`), and whether its slot passed
# on to a run this transaction started (`take_here`), so that `free` has nothing to free.
_ENDING = "tenantplane.runbooks.slot_ending"
_PASSED = "tenantplane.runbooks.slot_passed"


def limit_of(tenant: Tenant, settings: Settings) -> int:
    """The tenant's own limit, else the operator's default; 0 means no limit."""
    return (
        tenant.max_running_runbooks if tenant.max_running_runbooks is not None else settings.tenant_max_running_runbooks
    )


async def _running(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Execution)
        .where(Execution.tenant_id == tenant_id, Execution.kind == "runbook", Execution.status == "running")
    )
    return int(count or 0)


async def _lock(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:space, hashtext(:tenant))"),
        {"space": _LOCK_SPACE, "tenant": str(tenant_id)},
    )


async def take(session: AsyncSession, ctx: JobContext, tenant: Tenant) -> bool:
    """True if the run may start now (its slot is held once it is `running` in this transaction); False if its
    tenant is at its limit, in which case the job is now `waiting`."""
    limit = limit_of(tenant, ctx.settings)
    if limit == 0:
        return True
    await _lock(session, tenant.id)
    running = await _running(session, tenant.id)
    if running < limit:
        return True
    await ctx.hold(session, f"waiting for a runbook slot: {running} of {limit} running in this tenant")
    return False


def ending(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """This transaction ends a run of this tenant that holds a slot (and then `free`s it)."""
    session.info[_ENDING] = tenant_id


async def take_here(session: AsyncSession, tenant: Tenant, settings: Settings) -> bool:
    """A slot for a run this transaction starts (prestart.py), without waiting: the slot of the run it ends, if that
    was one of the same tenant's, passes on to it; else one free now; else False (its job waits as usual)."""
    if session.info.get(_ENDING) == tenant.id and not session.info.get(_PASSED):
        session.info[_PASSED] = True
        return True
    limit = limit_of(tenant, settings)
    if limit == 0:
        return True
    await _lock(session, tenant.id)
    return await _running(session, tenant.id) < limit


def untake(session: AsyncSession) -> None:
    """The run `take_here` took a slot for is not started here after all: a slot passed on is the ending run's again."""
    session.info.pop(_PASSED, None)


async def free(session: AsyncSession, tenant_id: uuid.UUID, settings: Settings) -> None:
    """A run of this tenant ended in this transaction: wake as many waiting jobs as slots are now free (none, when
    its slot passed on to the run it started)."""
    if session.info.pop(_PASSED, False):
        return
    waiting = await session.scalar(
        select(select(Job.id).where(Job.tenant_id == tenant_id, Job.status == "waiting").exists())
    )
    if not waiting:  # the common case: one probe of ix_jobs_waiting
        return
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        return
    limit = limit_of(tenant, settings)
    if limit == 0:
        await queue.wake_waiting(session, tenant_id=tenant_id, count=1_000)
        return
    await _lock(session, tenant_id)
    await queue.wake_waiting(session, tenant_id=tenant_id, count=limit - await _running(session, tenant_id))


async def wake_stranded(db: Database, settings: Settings) -> None:
    """Maintenance: every tenant with waiting jobs gets as many woken as it has slots free."""
    async with db.transaction() as session:
        tenant_ids = (await session.scalars(select(Job.tenant_id).where(Job.status == "waiting").distinct())).all()
    for tenant_id in tenant_ids:
        if tenant_id is None:
            continue
        async with db.transaction() as session:
            await free(session, tenant_id, settings)
