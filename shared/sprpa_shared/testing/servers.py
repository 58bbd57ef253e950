"""The real servers a test session runs against: embedded ones on free ports, or given URLs."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import nats
from nats.aio.client import Client as NatsClient

from sprpa_shared.events.access import ADMIN, Keys, connect_options
from sprpa_shared.migrations import ensure_database, upgrade_async, with_database
from sprpa_shared.ops.embedded import EmbeddedNats, EmbeddedPostgres, PortTakenError, free_port

TEST_DATABASE_URL = "SPRPA_TEST_DATABASE_URL"
TEST_NATS_URL = "SPRPA_TEST_NATS_URL"
TEST_NATS_KEYS = "SPRPA_TEST_NATS_KEYS"  # with SPRPA_TEST_NATS_URL: the folder of its users' seeds
REFERENCE_TABLE = "sprpa:reference"  # a table comment: reference data, kept between tests

_EMPTIED_TABLES = f"""
SELECT quote_ident(c.relname) AS t
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname = 'public' AND c.relname <> 'alembic_version'
  AND coalesce(obj_description(c.oid, 'pg_class'), '') <> '{REFERENCE_TABLE}'
"""


ATTEMPTS = 3


def _started(server: Callable[[int], EmbeddedPostgres | EmbeddedNats]):
    """A server started on a free port, on another if the one picked was taken before the server
    bound it: the suite's workers pick ports at once, and two may be given the same one."""
    attempt = 1
    while True:
        started = server(free_port())
        try:
            started.start()
            return started
        except PortTakenError:
            started.stop()
            if attempt == ATTEMPTS:
                raise
            attempt += 1


@dataclass
class TestServers:
    __test__ = False

    database_url: str
    nats_url: str
    nats_keys: Keys | None = None
    postgres: EmbeddedPostgres | None = None
    nats: EmbeddedNats | None = None
    _migrated: dict[str, str] = field(default_factory=dict)
    _used: set[str] = field(default_factory=set)  # databases handed out since the last reset
    _tables: dict[str, str] = field(default_factory=dict)  # per database: the tables a reset empties

    @classmethod
    def start(cls, base: Path) -> TestServers:
        database_url = os.environ.get(TEST_DATABASE_URL)
        nats_url = os.environ.get(TEST_NATS_URL)
        postgres = nats_server = None
        if not database_url:
            postgres = _started(lambda port: EmbeddedPostgres(base / "postgres", port))
            database_url = postgres.url
        if not nats_url:
            nats_server = _started(lambda port: EmbeddedNats(base / "nats", port))
            nats_url = nats_server.url
        keys = nats_server.keys if nats_server else (
            Keys(Path(os.environ[TEST_NATS_KEYS])) if os.environ.get(TEST_NATS_KEYS) else None)
        return cls(database_url=database_url, nats_url=nats_url, nats_keys=keys, postgres=postgres, nats=nats_server)

    def nats_seed_file(self, user: str) -> str:
        """The seed a service (or `admin`) connects to the test NATS with; empty for an open server."""
        return str(self.nats_keys.seed_file(user)) if self.nats_keys else ""

    async def connect_nats(self, user: str = ADMIN, **options) -> NatsClient:
        """A client of the test NATS as `user` (the admin, by default: it may inspect every stream)."""
        return await nats.connect(self.nats_url, **connect_options(user, seed_file=self.nats_seed_file(user)),
                                  **options)

    def stop(self) -> None:
        if self.nats:
            self.nats.stop()
        if self.postgres:
            self.postgres.stop()

    async def database(self, name: str, migrations_dir: Path) -> str:
        """A migrated database `sprpa_test_<name>`, made once per session and emptied per test."""
        if name not in self._migrated:
            url = with_database(self.database_url, f"sprpa_test_{name}")
            await ensure_database(url)
            await upgrade_async(migrations_dir, url)
            self._migrated[name] = url
        self._used.add(self._migrated[name])
        return self._migrated[name]

    async def reset(self) -> None:
        """Empty every database used since the last reset and delete every stream: each test starts
        from nothing. (A database no test touched since it was emptied is still empty.)"""
        used, self._used = self._used, set()
        for url in used:
            connection = await asyncpg.connect(url)
            try:
                if url not in self._tables:
                    self._tables[url] = ", ".join(row["t"] for row in await connection.fetch(_EMPTIED_TABLES))
                if self._tables[url]:
                    # Triggers off for this connection only: append-only tables refuse TRUNCATE otherwise.
                    await connection.execute("SET session_replication_role = replica")
                    await connection.execute(f"TRUNCATE {self._tables[url]} RESTART IDENTITY")
            finally:
                await connection.close()
        client = await self.connect_nats()
        try:
            js = client.jetstream()
            for stream in [info.config.name for info in await js.streams_info() if info.config.name]:
                await js.delete_stream(stream)
        finally:
            await client.close()

    def restart_nats(self) -> None:
        assert self.nats is not None, "restarting NATS needs the embedded server"
        self.nats.kill()
        self.nats.start()

    async def nats_is_down_for(self, operation) -> None:
        """Run `operation()` while NATS is stopped, then start NATS again (same port, same store)."""
        assert self.nats is not None, "stopping NATS needs the embedded server"
        self.nats.kill()
        try:
            await operation()
        finally:
            await asyncio.to_thread(self.nats.start)
