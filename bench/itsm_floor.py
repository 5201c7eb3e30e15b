"""The floor under request submit (bench.itsm): the SQL of one submit, captured at the cursor of an in-process app,
counted, and replayed by plain psycopg in one pipeline per submit — so the ratio to it shows what is framework.

The replay sends exactly the captured statements and parameters (numbering first, in its own transaction, then the
submit's transaction between BEGIN and COMMIT), with every id the submit created and its REQ number replaced by
fresh ones, so each replay inserts new rows under the same constraints.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.common import percentiles

KNOWN_IDS = """
SELECT id FROM tenants UNION ALL SELECT id FROM users UNION ALL SELECT id FROM groups
UNION ALL SELECT id FROM catalog_items UNION ALL SELECT id FROM approval_definitions
UNION ALL SELECT id FROM approval_definition_versions UNION ALL SELECT id FROM notification_channels
"""
NUMBER = re.compile(r"^REQ\d{7,}$")
IN_TEXT = re.compile(r"\bREQ\d{7,}\b|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
"""A number or an id inside a text bind (rows go as JSON binds)."""


@dataclass(frozen=True)
class Statement:
    connection: int
    sql: str
    parameters: Any
    many: bool


@dataclass
class Capture:
    """What one submit sent: statements (at the cursor), transactions begun and pool checkouts (each a pre-ping)."""

    statements: list[Statement] = field(default_factory=list)
    transactions: int = 0
    checkouts: int = 0

    def summary(self) -> str:
        kinds: dict[str, int] = {}
        for s in self.statements:
            verb = s.sql.lstrip().split(None, 1)[0].upper()
            kinds[verb] = kinds.get(verb, 0) + 1
        shown = ", ".join(f"{n} {verb}" for verb, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
        return (
            f"{len(self.statements)} statements ({shown}) on {len({s.connection for s in self.statements})} "
            f"connection(s), {self.transactions} transaction(s) begun, {self.checkouts} pool checkout(s)"
        )


async def capture_submit(db_url: str, secret_key: str, token: str, body: dict[str, Any]) -> Capture:
    """Submit twice through an in-process app on the bench database; capture the second (the first warms it)."""
    from sqlalchemy import Engine, Pool, event

    from tenantplane.app import create_app
    from tenantplane.itsm import records
    from tenantplane.settings import Settings

    draw_number = records.next_number

    async def next_number(session: Any, tenant_id: uuid.UUID, prefix: str) -> str:
        """The number is drawn by plain psycopg (no engine event sees it): recorded here, as a side connection's."""
        if recording and isinstance(records._NEXT, str):  # (an engine's statement is seen by the events below)
            capture.statements.append(Statement(-1, records._NEXT, {"tenant_id": tenant_id, "name": prefix}, False))
        number: str = await draw_number(session, tenant_id, prefix)
        return number

    records.next_number = next_number
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            database_url=db_url, secret_key=secret_key, data_dir=Path(data_dir), log_level="WARNING", log_format="json"
        )
        app = create_app(settings)
        capture = Capture()
        recording = False

        def on_execute(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
            if recording:
                capture.statements.append(Statement(id(conn.connection.dbapi_connection), statement, parameters, many))

        def on_begin(conn: Any) -> None:
            if recording:
                capture.transactions += 1

        def on_checkout(*_: Any) -> None:
            if recording:
                capture.checkouts += 1

        # On every engine and pool of the process: the app may hold more than one (numbers have a pool of their own).
        listeners = [(Engine, "before_cursor_execute", on_execute), (Engine, "begin", on_begin)]
        listeners.append((Pool, "checkout", on_checkout))
        for target, name, fn in listeners:
            event.listen(target, name, fn)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            headers = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                for attempt in range(2):
                    recording = attempt == 1
                    response = await http.post("/api/itsm/requests", json=body, headers=headers)
                    response.raise_for_status()
                recording = False
        for target, name, fn in listeners:
            event.remove(target, name, fn)
    records.next_number = draw_number
    return capture


def _ids_in(value: Any, found: set[uuid.UUID]) -> None:
    if isinstance(value, uuid.UUID):
        found.add(value)
    elif isinstance(value, str):
        found.update(uuid.UUID(m) for m in IN_TEXT.findall(value) if not m.startswith("REQ"))
    elif isinstance(value, dict):
        for item in value.values():
            _ids_in(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _ids_in(item, found)


def _remap(value: Any, ids: dict[uuid.UUID, uuid.UUID], texts: dict[str, str], number: str) -> Any:
    if isinstance(value, uuid.UUID):
        return ids.get(value, value)
    if isinstance(value, str):
        if NUMBER.match(value):
            return number
        return IN_TEXT.sub(lambda m: number if m[0].startswith("REQ") else texts.get(m[0], m[0]), value)
    if isinstance(value, dict):
        return {k: _remap(v, ids, texts, number) for k, v in value.items()}
    if isinstance(value, list):
        return [_remap(v, ids, texts, number) for v in value]
    if isinstance(value, tuple):
        return tuple(_remap(v, ids, texts, number) for v in value)
    return value  # Jsonb wrappers and scalars go as captured


class Replay:
    """The captured submit as one psycopg pipeline: side connections' statements first (each its own transaction,
    as the numbering is), then the main connection's between BEGIN and COMMIT."""

    def __init__(self, db_url: str, capture: Capture) -> None:
        with psycopg.connect(db_url) as conn:
            known = {row[0] for row in conn.execute(KNOWN_IDS)}
        seen: set[uuid.UUID] = set()
        for s in capture.statements:
            _ids_in(s.parameters, seen)
        self.fresh = sorted(seen - known)
        counts: dict[int, int] = {}
        for s in capture.statements:
            counts[s.connection] = counts.get(s.connection, 0) + 1
        main = max(counts, key=lambda c: counts[c])
        self.side = [s for s in capture.statements if s.connection != main]
        self.main = [s for s in capture.statements if s.connection == main]
        self.serial = 0
        self.db_url = db_url

    def _next(self) -> tuple[dict[uuid.UUID, uuid.UUID], dict[str, str], str]:
        self.serial += 1
        ids = {old: uuid.uuid4() for old in self.fresh}
        return ids, {str(old): str(new) for old, new in ids.items()}, f"FLR{uuid.uuid4().int % 10**12:012d}"

    async def once(self, conn: psycopg.AsyncConnection[Any]) -> None:
        ids, texts, number = self._next()
        async with conn.pipeline():
            for s in self.side:
                await self._send(conn, s, ids, texts, number)
            await conn.execute("BEGIN")
            for s in self.main:
                await self._send(conn, s, ids, texts, number)
            await conn.execute("COMMIT")

    @staticmethod
    async def _send(
        conn: psycopg.AsyncConnection[Any], s: Statement, ids: dict[uuid.UUID, uuid.UUID], texts: dict[str, str], n: str
    ) -> None:
        params = _remap(s.parameters, ids, texts, n)
        async with conn.cursor() as cur:
            if s.many:
                await cur.executemany(s.sql, params)
            else:
                await cur.execute(s.sql, params)

    async def sequential(self, samples: int) -> dict[str, float]:
        async with await psycopg.AsyncConnection.connect(self.db_url, autocommit=True) as conn:
            await self.once(conn)  # prepare the connection
            latencies = []
            for _ in range(samples):
                started = time.perf_counter()
                await self.once(conn)
                latencies.append((time.perf_counter() - started) * 1000)
        return percentiles(latencies)

    async def concurrent(self, clients: int, seconds: float) -> tuple[float, dict[str, float]]:
        conns = [await psycopg.AsyncConnection.connect(self.db_url, autocommit=True) for _ in range(clients)]
        latencies: list[float] = []
        deadline = time.perf_counter() + seconds

        async def client(conn: psycopg.AsyncConnection[Any]) -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                await self.once(conn)
                latencies.append((time.perf_counter() - started) * 1000)

        try:
            started = time.perf_counter()
            await asyncio.gather(*(client(c) for c in conns))
            elapsed = time.perf_counter() - started
        finally:
            for c in conns:
                await c.close()
        return len(latencies) / elapsed, percentiles(latencies)


def measure_floor(
    db_url: str, secret_key: str, token: str, body: dict[str, Any], *, samples: int, clients: int, seconds: float
) -> dict[str, Any]:
    """Capture one submit, then time its replay: sequential p50/p99 and req/s at `clients` connections."""
    capture = asyncio.run(capture_submit(db_url, secret_key, token, body))
    replay = Replay(db_url, capture)
    with psycopg.connect(db_url) as conn:
        before = conn.execute("SELECT count(*) FROM service_requests").fetchone()[0]  # type: ignore[index]
    one = asyncio.run(replay.sequential(samples))
    rps, many = asyncio.run(replay.concurrent(clients, seconds))
    with psycopg.connect(db_url) as conn:
        after = conn.execute("SELECT count(*) FROM service_requests").fetchone()[0]  # type: ignore[index]
    return {
        "capture": capture,
        "one": one,
        "rps": rps,
        "many": many,
        "rows": after - before,
        "fresh": len(replay.fresh),
    }


def main() -> None:
    """`python -m bench.itsm_floor`: count and list the SQL of one submit, then time its replay (short)."""
    import argparse

    from bench.common import DEFAULT_SERVER, scratch_database
    from bench.itsm_server import (
        DOMAIN,
        Api,
        bootstrap,
        loadavg,
        request_body,
        setup_fixtures,
        start_server,
        stop_server,
    )

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--list", action="store_true", help="print every captured statement")
    args = parser.parse_args()
    with scratch_database(args.server) as db_url:
        env = bootstrap(db_url)
        server, base = start_server(env)
        try:
            api = Api(base)
            fx = setup_fixtures(api, api.token(f"admin@{DOMAIN}"))
        finally:
            stop_server(server)
        key, body = env["TENANTPLANE_SECRET_KEY"], request_body(fx)
        floor = measure_floor(
            db_url,
            key,
            fx["tokens"]["requester"],
            body,
            samples=args.samples,
            clients=args.clients,
            seconds=args.seconds,
        )
        capture: Capture = floor["capture"]
        print("one submit:", capture.summary())
        if args.list:
            for number, s in enumerate(capture.statements, 1):
                print(f"{number:3d} [{s.connection % 1000:03d}] {' '.join(s.sql.split())[:160]}")
        one, many = floor["one"], floor["many"]
        print(
            f"replay in a pipeline: 1 connection p50 {one['p50']:.2f} ms p99 {one['p99']:.2f} ms; "
            f"{args.clients} connections {floor['rps']:.0f} submits/s p99 {many['p99']:.1f} ms "
            f"({floor['rows']} rows, {floor['fresh']} fresh ids per replay)  [load {loadavg()}]"
        )


if __name__ == "__main__":
    main()
