"""Several API processes: uvicorn's own supervisor starts, health-checks and restarts them; this process works too.

The supervisor runs in a thread, so the main thread keeps an asyncio loop for the process's own work (a job worker).
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Awaitable, Callable

import structlog
import uvicorn
from uvicorn.supervisors import Multiprocess

log = structlog.get_logger("tenantplane")


def serve_in_processes(config: uvicorn.Config, work: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Serve `config` (an app import string, `workers` > 1) from child processes while `work(stop)` runs here.

    SIGINT/SIGTERM set `stop` and stop the children; `work` returning (or failing) stops them too, and the children
    all exiting (one that cannot start makes the supervisor give up) sets `stop`. Returns when both are done.
    """
    sock = config.bind_socket()
    # Uvicorn's supervisor installs its signal handlers here, in the main thread; SIGINT/SIGTERM are then taken
    # over by this loop (below), its others (SIGHUP restarts the children, SIGTTIN/SIGTTOU resize) stay its own.
    supervisor = Multiprocess(config, sockets=[sock])

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()

        def finish() -> None:
            stop.set()
            supervisor.should_exit.set()

        def supervise() -> None:
            try:
                supervisor.run()
            finally:
                loop.call_soon_threadsafe(stop.set)

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, finish)
        thread = threading.Thread(target=supervise, name="api-processes")
        thread.start()
        try:
            await work(stop)
        finally:
            supervisor.should_exit.set()
            await asyncio.to_thread(thread.join)

    try:
        asyncio.run(main())
    finally:
        sock.close()
        log.info("api processes stopped", workers=config.workers)
