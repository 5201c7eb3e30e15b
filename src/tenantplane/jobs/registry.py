"""Job handlers by kind: `@job_handler("runbooks.execute")` registers an async function of a JobContext.

Workers import every `tenantplane.<domain>.tasks` module so each domain registers its own handlers.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from tenantplane.kit.db import Database
from tenantplane.settings import Settings


class LeaseLost(Exception):
    """This worker no longer holds the job (it stalled and another took over, or it was cancelled)."""


class PermanentFailure(Exception):
    """A failure that retrying cannot fix: the job goes straight to `dead`."""


@dataclass
class JobContext:
    """What a handler gets: the job, the database, and a fenced transaction for recording results."""

    job_id: uuid.UUID
    kind: str
    tenant_id: uuid.UUID | None
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    worker_id: str
    db: Database
    settings: Settings = field(default_factory=Settings)
    # Set by `hold`: the job went back to `waiting` in the handler's own transaction; the worker records nothing.
    held: bool = False
    # The queues and lease of a hand-off this handler may make (none when empty), and the job it handed off.
    handoff_queues: tuple[str, ...] = ()
    handoff_lease: float = 0.0
    handed_off: list[HandedOff] = field(default_factory=list)
    # Set once a fenced transaction of the handler recorded the job's success itself (`succeed_in`).
    succeeded: bool = False
    # What the transaction that handed this job off already did of its start (`prepare_handoff`), if anything.
    prepared: Prepared | None = None

    @property
    def is_last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts

    @asynccontextmanager
    async def transaction(self, *, succeed: bool = False) -> AsyncIterator[AsyncSession]:
        """A transaction that commits only while this worker still holds this attempt's lease.

        The job row stays locked until commit, so a takeover cannot slip in between check and commit. With `succeed`,
        it is the handler's last and records the job's success too: the fence is then that UPDATE (one statement, not
        a check and an UPDATE at the end), which rolls back with the rest if anything in it fails.
        """
        offer = HandoffOffer(self.worker_id, self.handoff_lease, self.handoff_queues) if self.may_hand_off else None
        async with self.db.transaction() as session:
            held = await session.scalar(
                _SUCCEED_FENCE if succeed else _FENCE,
                {"id": self.job_id, "owner": self.worker_id, "attempt": self.attempt},
            )
            if held is None:
                raise LeaseLost(f"job {self.job_id} attempt {self.attempt} is no longer held by {self.worker_id}")
            if succeed:
                session.info[_SUCCEEDED] = True
            session.info[_JOB_SETTINGS] = self.settings
            if offer is not None:
                session.info[_HANDOFF] = offer
            yield session
        # Reached only once the transaction committed.
        if offer is not None and offer.taken is not None:
            self.handed_off.append(offer.taken)
        if session.info.get(_SUCCEEDED):
            self.succeeded = True

    async def succeed_in(self, session: AsyncSession) -> None:
        """Record this job's success in this fenced transaction, the handler's last: the worker then records nothing,
        one commit fewer than its batched success. Nothing the handler does after this transaction may fail it."""
        if session.info.get(_SUCCEEDED):  # its fence recorded it (`transaction(succeed=True)`)
            return
        await session.execute(_SUCCEED_FENCE, {"id": self.job_id, "owner": self.worker_id, "attempt": self.attempt})
        session.info[_SUCCEEDED] = True

    @property
    def may_hand_off(self) -> bool:
        return bool(self.handoff_queues) and not self.handed_off

    async def hold(self, session: AsyncSession, reason: str) -> None:
        """Put this job back as `waiting`, untried, in this fenced transaction: it runs when something wakes it
        (`queue.wake_waiting`). The attempt does not count; the handler then returns without doing its work."""
        await session.execute(
            text(
                "UPDATE jobs SET status = 'waiting', attempts = attempts - 1, lease_owner = NULL, "
                "lease_expires_at = NULL, last_error = :reason, updated_at = now() "
                "WHERE id = :id AND lease_owner = :owner AND attempts = :attempt AND status = 'running'"
            ),
            {"id": self.job_id, "owner": self.worker_id, "attempt": self.attempt, "reason": reason},
        )
        self.held = True


_FENCE = text(
    "SELECT 1 FROM jobs WHERE id = :id AND lease_owner = :owner AND attempts = :attempt AND status = 'running' "
    "FOR UPDATE"
)
_SUCCEED_FENCE = text(
    "UPDATE jobs SET status = 'succeeded', finished_at = now(), updated_at = now(), lease_owner = NULL, "
    "lease_expires_at = NULL WHERE id = :id AND lease_owner = :owner AND attempts = :attempt AND status = 'running' "
    "RETURNING 1"
)


class Prepared(Protocol):
    """The start of a handed-off job, done already in the transaction that handed it off (`prepare_handoff`): its
    handler finds it in `JobContext.prepared` and skips that part. A worker that gives the job back instead of
    running it (it is stopping) undoes it in the transaction that releases the job."""

    async def give_back(self, conn: AsyncConnection) -> None: ...


@dataclass(frozen=True)
class HandedOff:
    """A job a handler's transaction inserted already claimed by its worker, which runs it next (attempt 1)."""

    id: uuid.UUID
    kind: str
    tenant_id: uuid.UUID | None
    payload: dict[str, Any]
    max_attempts: int
    backoff_seconds: float
    prepared: Prepared | None = None


@dataclass
class HandoffOffer:
    """What `queue.enqueue` may use, once per handler, for a job of a hand-off kind due now on one of these queues."""

    owner: str
    lease: float
    queues: tuple[str, ...]
    taken: HandedOff | None = None


def handoff_offer(session: AsyncSession) -> HandoffOffer | None:
    """The hand-off this job's transaction may still make (None outside a job, or once made)."""
    found = session.info.get(_HANDOFF)
    return found if isinstance(found, HandoffOffer) and found.taken is None else None


def handed_off_in(session: AsyncSession, job_id: uuid.UUID) -> bool:
    """Whether this job's transaction handed `job_id` off: it runs on this worker as soon as the transaction commits."""
    found = session.info.get(_HANDOFF)
    return isinstance(found, HandoffOffer) and found.taken is not None and found.taken.id == job_id


def prepare_handoff(session: AsyncSession, job_id: uuid.UUID, prepared: Prepared) -> None:
    """Hand `prepared` (what this transaction did of the handed-off job's start) to the handler that runs it."""
    offer = session.info.get(_HANDOFF)
    if not isinstance(offer, HandoffOffer) or offer.taken is None or offer.taken.id != job_id:
        raise ValueError(f"job {job_id} was not handed off in this transaction")
    offer.taken = replace(offer.taken, prepared=prepared)


Handler = Callable[[JobContext], Awaitable[None]]

# `session.info` key of the settings of the job whose fenced transaction the session is.
_JOB_SETTINGS = "tenantplane.jobs.settings"
_HANDOFF = "tenantplane.jobs.handoff"
_SUCCEEDED = "tenantplane.jobs.succeeded"


def job_settings(session: AsyncSession) -> Settings | None:
    """The settings of the job whose fenced transaction this is (None outside a job: e.g. an API request).

    What may run right here, in a job, but must not in a request (an inline built-in runbook) asks this."""
    found = session.info.get(_JOB_SETTINGS)
    return found if isinstance(found, Settings) else None


@dataclass(frozen=True)
class HandlerSpec:
    kind: str
    run: Handler
    max_attempts: int
    backoff_seconds: float
    queue: str
    # A job of this kind enqueued, due now, by another job's handler goes straight to that handler's worker,
    # claimed in the same transaction (no NOTIFY, no claim): the next link of a chain starts at once.
    handoff: bool = False


_HANDLERS: dict[str, HandlerSpec] = {}


def job_handler(
    kind: str, *, max_attempts: int = 5, backoff_seconds: float = 2.0, queue: str = "default", handoff: bool = False
) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = HandlerSpec(kind, fn, max_attempts, backoff_seconds, queue, handoff)
        return fn

    return register


Maintenance = Callable[[Database], Awaitable[None]]
_MAINTENANCE: list[Maintenance] = []


def worker_maintenance(fn: Maintenance) -> Maintenance:
    """Registers housekeeping every worker runs when it starts and then periodically (e.g. reaping orphans).

    Every worker runs it, so it must be safe to run concurrently (lock rows with SKIP LOCKED, or be idempotent).
    """
    _MAINTENANCE.append(fn)
    return fn


def maintenance_tasks() -> tuple[Maintenance, ...]:
    return tuple(_MAINTENANCE)


def handler_for(kind: str) -> HandlerSpec | None:
    return _HANDLERS.get(kind)


def load_task_modules(extra: list[str] | None = None) -> None:
    """Import every domain's tasks module (and any extra modules) so their handlers register."""
    from tenantplane.models import domain_modules

    for module in [*domain_modules("tasks"), *(extra or [])]:
        importlib.import_module(module)
