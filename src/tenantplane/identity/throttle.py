"""Sign-in throttling keyed on (account, client address), with a backoff that doubles at each further failure.

Failures from one address lock the account for that address only, so nobody can lock another person out
from elsewhere. A flood of failures from many addresses (the `*` row counts them all) only shrinks every
address's allowance to a single try before its backoff: it slows distributed guessing and never locks out.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

from fastapi import Request
from sqlalchemy import case, delete, func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tenantplane.identity.models import LoginThrottle
from tenantplane.identity.security import digest
from tenantplane.kit.db import Database
from tenantplane.kit.errors import TooManyRequests
from tenantplane.settings import Settings

ANYWHERE = "*"
_MAX_DOUBLINGS = 20  # 2**20 times any sensible base is past any sensible cap; keeps the arithmetic bounded


def account_key(tenant_slug: str | None, email: str) -> str:
    """The throttle's name for an account; it exists whether or not the account does (no enumeration)."""
    return digest(f"{tenant_slug or ''}\x00{email.lower()}")


def client_address(request: Request) -> str:
    """The ASGI client address: the TCP peer, or what a trusted proxy forwarded (uvicorn decides which).

    IPv4-mapped IPv6 counts as its IPv4 address; other IPv6 addresses by their /64, since one host can
    hold a whole /64 and would otherwise get a fresh allowance per address.
    """
    host = request.client.host if request.client else ""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


async def check_not_locked(session: AsyncSession, key: str, address: str) -> None:
    row = await session.get(LoginThrottle, (key, address))
    now = datetime.now(UTC)
    if row is not None and row.locked_until is not None and row.locked_until > now:
        raise TooManyRequests(
            "Too many failed sign-ins from this address; try again later.",
            retry_after=max(1, int((row.locked_until - now).total_seconds())),
        )


async def _count_failure(session: AsyncSession, key: str, address: str, settings: Settings) -> int:
    """Add one failure to the (account, address) row, starting afresh after a quiet window; the new count."""
    stale = LoginThrottle.last_failed_at < func.now() - timedelta(seconds=settings.login_failure_window_seconds)
    stmt = insert(LoginThrottle).values(account_key=key, address=address, failures=1, last_failed_at=func.now())
    stmt = stmt.on_conflict_do_update(
        index_elements=[LoginThrottle.account_key, LoginThrottle.address],
        set_={
            "failures": case((stale, 1), else_=LoginThrottle.failures + 1),
            "last_failed_at": func.now(),
            "locked_until": case((stale, None), else_=LoginThrottle.locked_until),
        },
    )
    failures: int = (await session.execute(stmt.returning(LoginThrottle.failures))).scalar_one()
    return failures


def backoff_seconds(failures: int, allowance: int, settings: Settings) -> int:
    """How long an address waits after its `failures`-th failure: 0 within the allowance, then doubling."""
    if failures < allowance:
        return 0
    doublings = min(failures - allowance, _MAX_DOUBLINGS)
    return int(min(settings.login_lockout_seconds, settings.login_backoff_seconds * 2**doublings))


async def record_failure(database: Database, key: str, address: str, settings: Settings) -> None:
    """Count a failure in its own transaction: the request's own transaction is about to roll back."""
    async with database.transaction() as session:
        everywhere = await _count_failure(session, key, ANYWHERE, settings)
        here = await _count_failure(session, key, address, settings)
        alarm = everywhere >= settings.login_account_alarm_failures
        wait = backoff_seconds(here, 1 if alarm else settings.login_max_failures, settings)
        if wait:
            await session.execute(
                update(LoginThrottle)
                .where(LoginThrottle.account_key == key, LoginThrottle.address == address)
                .values(locked_until=func.now() + timedelta(seconds=wait))
            )


async def forget_failures(session: AsyncSession, key: str, address: str) -> None:
    """After a good sign-in: this address starts afresh (the account-wide count keeps running down on its own)."""
    await session.execute(
        delete(LoginThrottle).where(LoginThrottle.account_key == key, LoginThrottle.address == address)
    )


async def unlock(session: AsyncSession, key: str) -> int:
    """Forget every failure of the account, from every address; how many addresses were locked right now."""
    rows = await session.execute(
        delete(LoginThrottle)
        .where(LoginThrottle.account_key == key)
        .returning(LoginThrottle.address, LoginThrottle.locked_until)
    )
    now = datetime.now(UTC)
    return sum(1 for address, until in rows if address != ANYWHERE and until is not None and until > now)
