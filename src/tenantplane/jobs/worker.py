"""ExecutionJobRunner: claims due jobs, runs their handlers under a renewed lease, records results fenced.

Woken by LISTEN/NOTIFY, with polling as the fallback; expired leases of dead workers are taken over.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import psycopg
import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tenantplane.jobs import queue
from tenantplane.jobs import retention as _retention  # noqa: F401 - registers the workers' hourly purge
from tenantplane.jobs.queue import ClaimedJob
from tenantplane.jobs.registry import (
    HandedOff,
    JobContext,
    LeaseLost,
    PermanentFailure,
    Prepared,
    handler_for,
    load_task_modules,
    maintenance_tasks,
)
from tenantplane.kit.db import Database
from tenantplane.settings import Settings

log = structlog.get_logger("tenantplane.jobs")
# Hand-offs in a row (a chain's links started by the worker that ran the link before) before one goes through the queue.
MAX_HANDOFFS = 20


@dataclass
class RunnerOptions:
    queues: list[str] = field(default_factory=lambda: ["default"])
    concurrency: int = 10
    lease_seconds: float = 30.0
    heartbeat_seconds: float = 5.0
    poll_seconds: float = 1.0
    grace_seconds: float = 30.0
    maintenance_seconds: float = 30.0
    # Slots no single tenant may take: a tenant runs at most `concurrency - reserved_slots` jobs on a worker, so
    # another tenant's job (an approval notice, a workflow step) starts at its enqueue's wake-up even while one
    # tenant floods the queue, instead of when one of the flood's jobs ends.
    reserved_slots: int = 1


@dataclass
class _Running:
    job: ClaimedJob
    task: asyncio.Task[None]
    stop_reason: str | None = None
    ctx: JobContext | None = None


class ExecutionJobRunner:
    """One worker: up to `concurrency` handlers at once, from its queues only."""

    def __init__(
        self,
        db: Database,
        options: RunnerOptions | None = None,
        *,
        worker_id: str | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.db = db
        self.settings = settings or Settings()
        self.options = options or RunnerOptions()
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._running: dict[uuid.UUID, _Running] = {}
        self._done: list[tuple[uuid.UUID, int]] = []  # handled, success not recorded yet
        self._recording: list[tuple[uuid.UUID, int]] = []  # the successes being recorded now
        self._wake = asyncio.Event()
        self._flushed = asyncio.Event()
        self._closing = False
        self._own: dict[str, AsyncConnection] = {}  # the claim loop's and the flush loop's connections
        self.listening = False

    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set, then finish (or release) what is running and leave."""
        await self._register()
        await self._maintain()
        helpers = [
            asyncio.create_task(self._maintenance_loop(stop), name="jobs-maintenance"),
            asyncio.create_task(self._listen(stop), name="jobs-listen"),
            asyncio.create_task(self._heartbeat(stop), name="jobs-heartbeat"),
        ]
        flusher = asyncio.create_task(self._flush_loop(), name="jobs-flush")
        log.info("worker started", worker=self.worker_id, queues=self.options.queues)
        try:
            await self._claim_loop(stop)
            await self._drain()
        finally:
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            # The flush loop is never cancelled: a flush cancelled while its COMMIT is on the wire may have committed,
            # and recording its batch again would be refused ("lease lost") for jobs that did succeed. It finishes the
            # flush it is in and stops; whatever is left is recorded here.
            self._closing = True
            self._flushed.set()
            await flusher
            await self._flush()
            for conn in list(self._own.values()):
                with contextlib.suppress(Exception):
                    await conn.close()
            await self._unregister()
            log.info("worker stopped", worker=self.worker_id)

    async def _claim_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            free = self.options.concurrency - len(self._running)
            claimed: list[ClaimedJob] = []
            due: float | None = None
            self._wake.clear()  # before the claim: a wake-up arriving while it runs is not lost
            if free > 0:
                try:
                    claimed, due = await self._claim(free)
                except Exception as exc:  # database away: keep the worker alive and retry
                    log.warning("claim failed", error=str(exc))
                    await asyncio.sleep(self.options.poll_seconds)
                    continue
                for job in claimed:
                    self._start(job)
            if free > 0 and len(claimed) == free:
                continue  # there may be more due right now
            await self._sleep(stop, due)

    @asynccontextmanager
    async def _own_transaction(self, loop: str) -> AsyncIterator[AsyncConnection]:
        """A transaction on the connection `loop` (claims, results) keeps for itself: a pool checkout per claim and
        per flush cost a liveness ping each, as many round trips as the work. One that failed is replaced next time.
        """
        conn = self._own.get(loop) or self._own.setdefault(loop, await self.db.engine.connect())
        try:
            async with conn.begin():
                yield conn
        except BaseException:
            del self._own[loop]
            with contextlib.suppress(Exception):
                await conn.close()
            raise

    @property
    def per_tenant(self) -> int:
        """How many of this worker's slots one tenant may hold (all of them when it has only one)."""
        concurrency = self.options.concurrency
        return max(concurrency - max(self.options.reserved_slots, 0), 1)

    async def _claim(self, limit: int) -> tuple[list[ClaimedJob], float | None]:
        held = Counter(queue.tenant_key(r.job.tenant_id) for r in self._running.values())
        async with self._own_transaction("claim") as conn:
            return await queue.claim_due(
                conn,
                owner=self.worker_id,
                queues=self.options.queues,
                limit=limit,
                lease=self.options.lease_seconds,
                held=held,
                per_tenant=self.per_tenant,
            )

    async def _sleep(self, stop: asyncio.Event, due: float | None) -> None:
        """Until woken (an enqueue, a free slot), the next job falls due, or the poll interval passes."""
        timeout = self.options.poll_seconds if due is None else min(self.options.poll_seconds, max(due, 0.0))
        if self._wake.is_set() or timeout == 0:
            return
        waiters = [asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())]
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()

    def _start(self, job: ClaimedJob, depth: int = 0, prepared: Prepared | None = None) -> None:
        task = asyncio.create_task(self._execute(job, depth, prepared), name=f"job-{job.id}")
        self._running[job.id] = _Running(job, task)

    async def _execute(self, job: ClaimedJob, depth: int = 0, prepared: Prepared | None = None) -> None:
        """Run one job; `depth` counts the hand-offs that led to it (a chain goes back to the queue after
        MAX_HANDOFFS links in a row, so a long chain cannot keep a slot from other tenants' claims)."""
        spec = handler_for(job.kind)
        ctx = JobContext(
            *(job.id, job.kind, job.tenant_id, job.payload, job.attempts, job.max_attempts),
            *(self.worker_id, self.db, self.settings),
            handoff_queues=tuple(self.options.queues) if depth < MAX_HANDOFFS else (),
            handoff_lease=self.options.lease_seconds,
            prepared=prepared,
        )
        if running := self._running.get(job.id):
            running.ctx = ctx
        try:
            if spec is None:
                raise PermanentFailure(f"no handler is registered for job kind '{job.kind}'")
            await spec.run(ctx)
        except asyncio.CancelledError:
            await self._stopped(job)
        except LeaseLost as exc:
            log.warning("lease lost; result not recorded", job=str(job.id), error=str(exc))
        except PermanentFailure as exc:
            await self._record_failure(job, str(exc), permanent=True)
        except Exception as exc:
            await self._record_failure(job, f"{type(exc).__name__}: {exc}", permanent=False)
        else:
            if not ctx.held and not ctx.succeeded:  # else the handler's own transaction recorded it
                self._done.append((job.id, job.attempts))
                self._flushed.set()
        finally:
            running = self._running.pop(job.id, None)
            stopping = running is not None and running.stop_reason == "shutdown"
            took_slot = False
            for handed in ctx.handed_off:  # committed as running under our lease: run it now, or give it back
                took_slot = await self._take_handoff(handed, depth + 1, stopping) or took_slot
            if not took_slot:  # the job handed off took it over: a claim now would find no slot to fill
                self._wake.set()  # a slot is free

    async def _take_handoff(self, handed: HandedOff, depth: int, stopping: bool) -> bool:
        """Start the job handed off (True), or give it back to the queue when this worker is stopping (False)."""
        job = ClaimedJob(
            handed.id, handed.kind, handed.tenant_id, handed.payload, 1, handed.max_attempts, handed.backoff_seconds
        )
        if not stopping and not self._closing:
            self._start(job, depth, handed.prepared)
            return True
        with contextlib.suppress(Exception):  # else its lease runs out and another worker takes it over
            async with self.db.engine.begin() as conn:
                if handed.prepared is not None:  # what its start did already is undone with the release
                    await handed.prepared.give_back(conn)
                await queue.release(conn, owner=self.worker_id, job=job)
        return False

    async def _stopped(self, job: ClaimedJob) -> None:
        reason = self._running[job.id].stop_reason if job.id in self._running else None
        with contextlib.suppress(Exception):
            async with self.db.engine.begin() as conn:
                if reason == "cancel":
                    await queue.mark_cancelled(conn, owner=self.worker_id, job=job)
                elif reason == "shutdown":
                    await queue.release(conn, owner=self.worker_id, job=job)
        log.info("job stopped", job=str(job.id), reason=reason)

    async def _record_failure(self, job: ClaimedJob, error: str, *, permanent: bool) -> None:
        async with self.db.engine.begin() as conn:
            status = await queue.fail(conn, owner=self.worker_id, job=job, error=error, permanent=permanent)
        log.warning("job failed", job=str(job.id), kind=job.kind, attempt=job.attempts, status=status, error=error)

    async def _flush_loop(self) -> None:
        while not self._closing:
            await self._flushed.wait()
            self._flushed.clear()
            try:
                await self._flush()
            except Exception as exc:
                log.warning("recording results failed; will retry", error=str(exc))
                await asyncio.sleep(0.5)
                self._flushed.set()

    async def _flush(self) -> None:
        batch, self._done = self._done, []
        if not batch:
            return
        self._recording = batch
        try:
            async with self._own_transaction("flush") as conn:
                recorded = await queue.succeed_many(conn, owner=self.worker_id, done=batch)
        except BaseException:  # keep the batch for the next flush
            self._done = batch + self._done
            raise
        finally:
            self._recording = []
        refused = [str(job_id) for job_id, _ in batch if job_id not in recorded]
        if refused:
            log.warning("completion refused: lease lost", jobs=refused)

    async def _maintenance_loop(self, stop: asyncio.Event) -> None:
        while True:
            await asyncio.sleep(self.options.maintenance_seconds)
            await self._maintain()

    async def _maintain(self) -> None:
        for task in maintenance_tasks():
            try:
                await task(self.db)
            except Exception as exc:  # housekeeping never stops the worker
                log.warning("maintenance failed", task=task.__qualname__, error=str(exc))

    async def _heartbeat(self, stop: asyncio.Event) -> None:
        while True:
            await asyncio.sleep(self.options.heartbeat_seconds)
            try:
                await self._beat()
            except Exception as exc:
                log.warning("heartbeat failed", error=str(exc))

    async def _beat(self) -> None:
        # Finished jobs whose success is not recorded yet are still held: were they not renewed, a loop busy past the
        # lease would let this very heartbeat's takeover (below) fail a job that succeeded, and run it again.
        running = [(job_id, r.job.attempts) for job_id, r in list(self._running.items())]
        held = [*running, *self._done, *self._recording]
        async with self.db.engine.begin() as conn:
            still = await queue.heartbeat(conn, owner=self.worker_id, held=held, lease=self.options.lease_seconds)
            await conn.execute(
                text("UPDATE workers SET heartbeat_at = now(), running = :n WHERE id = :id"),
                {"n": len(self._running), "id": self.worker_id},
            )
            taken = await queue.take_over_expired(conn)
        if taken:
            log.warning("took over jobs with expired leases", count=taken)
            self._wake.set()
        for job_id, _ in running:
            handling = self._running.get(job_id)
            if handling is None or (handling.ctx is not None and handling.ctx.succeeded):
                continue  # a success recorded by its handler is not held any more, and must not be cancelled
            if job_id not in still:
                handling.stop_reason = "lease lost"
                handling.task.cancel()
            elif still[job_id]:
                handling.stop_reason = "cancel"
                handling.task.cancel()

    async def _listen(self, stop: asyncio.Event) -> None:
        """LISTEN for enqueues; on any failure reconnect with backoff (polling covers the gap)."""
        delay = 0.5
        while not stop.is_set():
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.db.libpq_url, autocommit=True, application_name="tenantplane-listen"
                ) as conn:
                    await conn.execute(f"LISTEN {queue.NOTIFY_CHANNEL}")
                    self.listening, delay = True, 0.5
                    async for note in conn.notifies():
                        if note.payload in self.options.queues:
                            self._wake.set()
            except Exception as exc:
                log.warning("listen connection lost; polling until it is back", error=str(exc))
            self.listening = False
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)

    async def _drain(self) -> None:
        """Stop claiming; let running handlers finish within the grace period, then release the rest."""
        deadline = time.monotonic() + self.options.grace_seconds
        while self._running and time.monotonic() < deadline:
            await asyncio.wait([r.task for r in self._running.values()], timeout=deadline - time.monotonic())
        for running in list(self._running.values()):
            running.stop_reason = "shutdown"
            running.task.cancel()
        if self._running:
            await asyncio.gather(*(r.task for r in list(self._running.values())), return_exceptions=True)

    async def _register(self) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO workers (id, hostname, pid, queues, concurrency) "
                    "VALUES (:id, :host, :pid, :queues, :concurrency)"
                ),
                {
                    "id": self.worker_id,
                    "host": socket.gethostname(),
                    "pid": os.getpid(),
                    "queues": self.options.queues,
                    "concurrency": self.options.concurrency,
                },
            )

    async def _unregister(self) -> None:
        with contextlib.suppress(Exception):
            async with self.db.engine.begin() as conn:
                await conn.execute(
                    text("UPDATE workers SET stopped_at = now(), running = 0 WHERE id = :id"), {"id": self.worker_id}
                )


async def run_worker(
    url: str, options: RunnerOptions, settings: Settings, stop: asyncio.Event, modules: list[str] | None = None
) -> None:
    """A worker process's life: its own pool, every handler loaded, one runner until `stop` is set."""
    database = Database(url, pool_size=options.concurrency + 4)
    load_task_modules(modules or [])
    try:
        await ExecutionJobRunner(database, options, settings=settings).run(stop)
    finally:
        await database.dispose()
