"""Bulk import: accept an upload, then a worker validates every row and writes the valid ones.

Modes: `all_or_nothing` writes nothing unless every row is valid (one transaction);
`valid_rows_only` writes each batch of valid rows as it goes. Re-uploading a file already
imported returns that import. Row-level issues (errors and possible duplicates) are kept
for a downloadable report.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import os
import socket
import sys
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import asyncpg
from fastapi import FastAPI, UploadFile

from registry.imports import reader, store
from registry.imports.columns import map_headers
from registry.imports.validation import Places, load_places, validate_row
from registry.places import repository as places_repository
from registry.places.names import is_ambiguous, rank
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.db import create_engine, session_factory
from sprpa_shared.errors import Conflict, ContentTooLarge, ValidationFailed
from sprpa_shared.events import bus
from sprpa_shared.events.relay import OutboxRelay
from sprpa_shared.ids import new_id
from sprpa_shared.observability import Metrics, error_fields, get_logger

log = get_logger(__name__)
NOTIFY = "registry_imports"
HOST = socket.gethostname()
CHUNK = 1024 * 1024
REQUIRED = {"full_name", "sex", "birth_date", "school_status"}
CHECK_STOP_EVERY = 1000


class Interrupted(Exception):
    """The service is stopping: leave the import to be resumed (its rows are idempotent)."""


async def accept(connection: asyncpg.Connection, *, upload: UploadFile, mode: str, principal: Principal,
                 spool_dir: Path, max_bytes: int, now: datetime) -> tuple[dict, bool]:
    """Spool and hash the upload; returns (import row, whether it was already imported)."""
    await asyncio.to_thread(spool_dir.mkdir, parents=True, exist_ok=True)
    import_id = new_id()
    path = spool_dir / f"{import_id}.upload"
    digest, size = hashlib.sha256(), 0
    try:
        spool = await asyncio.to_thread(path.open, "wb")
        try:
            while chunk := await upload.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise ContentTooLarge(f"the file is larger than {max_bytes // (1024 * 1024)} MiB")
                digest.update(chunk)
                await asyncio.to_thread(spool.write, chunk)
        finally:
            await asyncio.to_thread(spool.close)
        file_format = await asyncio.to_thread(reader.detect_format, path, upload.filename or "")
        await asyncio.to_thread(_check_header, path, file_format)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    sha = digest.hexdigest()
    existing = await connection.fetchrow("SELECT * FROM imports WHERE sha256 = $1 AND mode = $2", sha, mode)
    if existing is not None:
        path.unlink(missing_ok=True)
        if not can_see(principal, existing):
            raise Conflict("this file was already imported by someone else")
        return dict(existing), True
    row = await connection.fetchrow(
        """INSERT INTO imports (id, sha256, file_name, file_format, file_bytes, mode, status, spooled_on, actor,
                                actor_role, regency_codes, village_code, created_at, row_ids)
           VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8, $9, $10, $11, $12,
                   -- the file imported in the other mode already: its rows are the same children
                   COALESCE((SELECT row_ids FROM imports WHERE sha256 = $2 LIMIT 1), $13))
           ON CONFLICT (sha256, mode) DO NOTHING RETURNING *""",
        import_id, sha, (upload.filename or "upload")[:200], file_format, size, mode, HOST, principal.subject,
        principal.role.value, list(principal.regency_codes), principal.village_code, now, store.ORDERED,
    )
    if row is None:  # the same file, uploaded at the same moment: that one wins
        path.unlink(missing_ok=True)
        return dict(await connection.fetchrow("SELECT * FROM imports WHERE sha256 = $1 AND mode = $2", sha, mode)), True
    await connection.execute(f"SELECT pg_notify('{NOTIFY}', '')")
    return dict(row), False


def _check_header(path: Path, file_format: str) -> None:
    """Fail at upload, not later, when the file is not a survey at all."""
    try:
        header = next(reader.rows(path, file_format), None)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the client's problem
        raise ValidationFailed("the file is not a readable CSV or XLSX", field="file") from exc
    columns = set(map_headers([str(cell or "") for cell in header or []]).values())
    missing = REQUIRED - columns
    if missing or not ({"village_code", "village"} & columns):
        needed = sorted(missing | ({"village_code or village"} if not {"village_code", "village"} & columns else set()))
        raise ValidationFailed(f"the header row lacks: {', '.join(needed)}", field="file")


def can_see(principal: Principal, row) -> bool:
    """An import belongs to whoever uploaded it, and to those whose area covers theirs."""
    if principal.role is Role.NATIONAL_ADMIN or principal.subject == row["actor"]:
        return True
    if principal.role is Role.DISTRICT_OPERATOR:
        return bool(row["regency_codes"]) and set(row["regency_codes"]) <= set(principal.regency_codes) or (
            row["village_code"] is not None and principal.covers_place(row["village_code"]))
    return False


def uploader(row) -> Principal:
    return Principal(subject=row["actor"], role=Role(row["actor_role"]), regency_codes=tuple(row["regency_codes"]),
                     village_code=row["village_code"])


SWITCH_INTERVAL_SECONDS = 0.0005


def _loop_factory():
    try:
        import uvloop
    except ImportError:  # no uvloop on this platform: asyncio's own loop
        return None
    return uvloop.new_event_loop


class ImportWorker:
    """Claims queued imports spooled on this host, one at a time; woken by NOTIFY.

    It runs on a thread of its own with its own event loop and connections: parsing and
    validating rows is CPU work that would otherwise stall the API, the outbox relay and the
    consumers that share the service's loop.
    """

    def __init__(self, settings, clock) -> None:
        self.settings = settings
        self.clock = clock
        self.stopping = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self.relay: OutboxRelay | None = None  # the worker's own, once it reaches NATS (`_relay`)

    def run_forever(self) -> None:
        # The thread staging the next batch holds the interpreter while the loop writes this one: at
        # Python's default switch interval (5 ms) each of the write's round trips waited up to that
        # long for it after PostgreSQL answered.
        sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
        # uvloop, as the services run under uvicorn: the batch's round trips and COPY cost less of
        # the interpreter the staging thread shares.
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(self._main())

    def stop(self) -> None:
        """Ask the worker to stop after the batch it is writing (the import resumes on the next start)."""
        self.stopping.set()
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _main(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        engine = create_engine(self.settings.sqlalchemy_url, pool_size=1)
        self.sessions = session_factory(engine)
        relay = asyncio.create_task(self._relay(), name="import-relay")
        try:
            while not self.stopping.is_set():
                try:
                    await self._listen_and_work()
                except Exception as exc:  # noqa: BLE001 - database away: try again shortly
                    log.warning("import worker failed; restarting", **error_fields(exc))
                    await self._pause(2)
        finally:
            if self.relay is not None:
                await self.relay.stop()  # what the last batches handed over is published first
            else:
                relay.cancel()  # still reaching NATS
            await asyncio.gather(relay, return_exceptions=True)
            await engine.dispose()

    async def _relay(self) -> None:
        """The worker publishes the events its batches commit (issue 27): a batch's two events of a
        thousand children (about 1.2 MB) no longer go through the service's relay, read back from
        the outbox on the API's event loop while it answers reads, and the service's database no
        longer turns them from jsonb into text. Until it reaches NATS, and for what it fails to
        publish, batches wake the service's relay by NOTIFY as before (or its poll finds them)."""
        # Not up yet: the service's relay publishes meanwhile.
        nc = await bus.connect_patiently(self.settings.nats_url, name="sprpa-registry-imports",
                                         options=self.settings.nats_options(), pause=self._backing_off)
        # Its batches' events marked at once (a statement for a thousand children): their time is
        # when the batch was staged (the import's clock), not their commit, so the age the service's
        # relay polls for (relay.POLLED_AFTER_SECONDS) would not always leave them while unmarked.
        relay = OutboxRelay(dsn=self.settings.asyncpg_url, js=nc.jetstream(timeout=5),
                            metrics=Metrics(self.settings.service), mark_after_seconds=0)
        try:
            self.relay = relay
            await relay.run(claiming=False)
        finally:
            self.relay = None
            await relay.close()
            with contextlib.suppress(Exception):
                await nc.close()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    async def _backing_off(self, seconds: float) -> None:
        """A retry's wait, given up (`asyncio.CancelledError`) when the worker stops."""
        await self._pause(seconds)
        if self.stopping.is_set():
            raise asyncio.CancelledError

    async def _listen_and_work(self) -> None:
        listener = await asyncpg.connect(self.settings.asyncpg_url)
        await listener.add_listener(NOTIFY, lambda *_: self._wake.set())
        try:
            while not self.stopping.is_set():
                self._wake.clear()
                while not self.stopping.is_set() and await self._one():
                    pass
                await self._pause(5)
        finally:
            with contextlib.suppress(Exception):
                await listener.close(timeout=2)

    async def _one(self) -> bool:
        """Process one import of this host that no other worker holds; False when there is none."""
        connection = await asyncpg.connect(self.settings.asyncpg_url)
        try:
            await yield_like_this_process(connection)
            pending = await connection.fetch(
                "SELECT id FROM imports WHERE status IN ('queued', 'processing') AND spooled_on = $1 "
                "ORDER BY created_at", HOST)
            for candidate in pending:
                key = str(candidate["id"])
                if not await connection.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", key):
                    continue
                try:
                    row = await connection.fetchrow(
                        "SELECT * FROM imports WHERE id = $1 AND status IN ('queued', 'processing')", candidate["id"])
                    if row is not None:
                        await Importer(connection, dict(row), self.settings, self.clock, self.sessions,
                                       self.stopping, relays=lambda: self.relay).run()
                        return True
                finally:
                    await connection.execute("SELECT pg_advisory_unlock(hashtext($1))", key)
            return False
        finally:
            await connection.close()


async def yield_like_this_process(connection: asyncpg.Connection) -> None:
    """Give the connection's PostgreSQL backend this process's nice value when it runs on this
    machine (the embedded default): the import's writes then yield the processor to the API's reads
    as its Python does. A database on another host is left as it is, and so is a backend this
    process may not renice (another user's, unless this one is root)."""
    niceness = os.getpriority(os.PRIO_PROCESS, 0)
    if niceness <= 0:
        return
    pid, address = await connection.fetchrow("SELECT pg_backend_pid(), inet_server_addr()")
    if address is not None and not address.is_loopback:
        return
    _renice_backend(pid, niceness)


def _renice_backend(pid: int, niceness: int) -> None:
    backend = Path(f"/proc/{pid}")  # Linux; elsewhere the backend keeps its priority
    with contextlib.suppress(OSError):
        if (backend / "comm").read_text().strip() == "postgres":
            os.setpriority(os.PRIO_PROCESS, pid, niceness)


async def import_worker(app: FastAPI) -> None:
    """The app job that processes uploads, on the worker's own thread."""
    worker = ImportWorker(app.state.settings, app.state.clock)
    thread = threading.Thread(target=worker.run_forever, name="registry-imports", daemon=True)
    thread.start()
    try:
        await asyncio.Future()  # until the app stops and cancels its jobs
    finally:
        worker.stop()
        await asyncio.to_thread(thread.join, 30)


CHILDREN_COUNTED = "SELECT reltuples FROM pg_class WHERE oid = 'children'::regclass"  # -1 before any ANALYZE
ANALYSED_AT_LEAST = 1_000


class Importer:
    def __init__(self, connection: asyncpg.Connection, row: dict, settings, clock, sessions,
                 stopping: threading.Event | None = None,
                 relays: Callable[[], OutboxRelay | None] = lambda: None) -> None:
        self.db = connection
        self.row = row
        self.id: uuid.UUID = row["id"]
        self.path = Path(settings.import_spool_dir) / f"{self.id}.upload"
        self.dsn = settings.asyncpg_url
        self.batch_rows = settings.import_batch_rows
        self.clock = clock
        self.principal = uploader(row)
        self.sessions = sessions
        self.stopping = stopping or threading.Event()
        self._relay = relays  # the worker's relay when it has one, to hand a committed batch's events to
        self._resolved: dict[tuple, tuple[str | None, str | None]] = {}
        self._child_id = store.row_ids(row)
        self._written = 0
        # The children's statistics are refreshed each time the table has doubled since they were
        # taken: a bulk load into an empty registry outruns autovacuum, and one into a full registry
        # changes no plan. The rows the statistics counted when the import starts (`run`).
        self._children = self._analysed_at = 0

    async def run(self) -> None:
        now = self.clock.now()
        await self.db.execute("UPDATE imports SET status = 'processing', started_at = $2, processed_rows = 0, "
                              "valid_rows = 0, error_rows = 0 WHERE id = $1", self.id, now)
        await self.db.execute("DELETE FROM import_issues WHERE import_id = $1 AND kind = 'error'", self.id)
        self._children = self._analysed_at = max(0, int(await self.db.fetchval(CHILDREN_COUNTED)))
        try:
            places = await load_places(self.db)
            if self.row["mode"] == "all_or_nothing":
                await self._all_or_nothing(places)
            else:
                await self._valid_rows_only(places)
        except Interrupted:
            log.info("import interrupted; it resumes on the next start", import_id=str(self.id))
            return
        except Exception as exc:  # noqa: BLE001 - recorded on the import; all_or_nothing wrote nothing
            log.error("import failed", import_id=str(self.id), **error_fields(exc))
            await self._finish("failed", f"the import stopped: {type(exc).__name__}")
        self.path.unlink(missing_ok=True)

    async def _batches(self, places: Places, *, stage: bool):
        """The file's rows in batches: (rows read, their errors, the valid rows staged or None).

        A batch is read, validated and staged on a worker thread while the caller writes the one
        before: on two cores PostgreSQL's writes and the Python per row overlap. Use it under
        `contextlib.aclosing`, so the batch being prepared is waited for whatever happens."""
        loop = asyncio.get_running_loop()
        today = self.clock.now().date()
        rows = reader.rows(self.path, self.row["file_format"])
        columns = map_headers([str(cell or "") for cell in await asyncio.to_thread(next, rows, [])])
        numbered = enumerate(rows, start=2)

        def resolve(village: str, district: str | None, regency: str | None):  # on the worker thread
            return asyncio.run_coroutine_threadsafe(self._resolve(village, district, regency), loop).result()

        def prepare() -> tuple[int, list[tuple], store.Staged | None] | None:
            read, valid, errors = 0, [], []
            for number, cells in numbered:
                if number % CHECK_STOP_EVERY == 0 and self.stopping.is_set():
                    raise Interrupted()
                if not any(cell not in (None, "") for cell in cells):
                    continue
                read += 1
                values = {name: cells[index] for index, name in columns.items() if index < len(cells)}
                row, row_errors = validate_row(number, values, places=places, resolve=resolve,
                                               principal=self.principal, today=today)
                if row is not None:
                    valid.append(row)
                errors += [(self.id, number, "error", e["field"], e["message"], None) for e in row_errors]
                if read >= self.batch_rows:
                    break
            if not read:
                return None
            return read, errors, store.stage(valid, child_id=self._child_id, now=self.clock.now(),
                                            import_id=self.id) if stage else None

        pending = asyncio.ensure_future(asyncio.to_thread(prepare))
        try:
            while (batch := await pending) is not None:
                pending = asyncio.ensure_future(asyncio.to_thread(prepare))
                yield batch
        finally:
            with contextlib.suppress(BaseException):
                await pending

    async def _resolve(self, village: str, district: str | None, regency: str | None):
        key = (village, district, regency)
        if key not in self._resolved:
            async with self.sessions() as session:
                found = await places_repository.candidates(session, village, level=4, within=None)
            ranked = rank(village, found, parents=(district, regency))
            if not ranked:
                self._resolved[key] = (None, f"no official desa matches {village!r}")
            elif is_ambiguous(ranked):
                options = ", ".join(f"{r.candidate.code} ({r.candidate.parent_names[0]})" for r in ranked[:3])
                self._resolved[key] = (None, f"{village!r} is ambiguous: {options}; give the kecamatan or the code")
            else:
                self._resolved[key] = (ranked[0].candidate.code, None)
        return self._resolved[key]

    async def _all_or_nothing(self, places: Places) -> None:
        counts = await self._validate_only(places)
        if counts["error_rows"]:
            await self._finish("failed", f"{counts['error_rows']} row(s) have errors; nothing was imported")
            return
        async with self.db.transaction():
            created, duplicates = await self._write_all(places)
        await self._finish("completed", None, created=created, duplicates=duplicates)

    async def _validate_only(self, places: Places) -> dict:
        counts = {"processed_rows": 0, "valid_rows": 0, "error_rows": 0}
        async with contextlib.aclosing(self._batches(places, stage=False)) as batches:
            async for read, errors, _ in batches:
                self._count(counts, read, errors)
                await self._progress(counts, errors)
        await self._progress(counts, [], total=True)
        return counts

    async def _write_all(self, places: Places) -> tuple[int, int]:
        created = duplicates = 0
        async with contextlib.aclosing(self._batches(places, stage=True)) as batches:
            async for _, errors, staged in batches:
                if errors:  # the file was validated; it cannot change, but never write a bad row
                    raise RuntimeError("a row failed validation on the second pass")
                made, dup = await store.write_batch(self.db, staged, **self._writing(staged))
                created, duplicates = created + made, duplicates + dup
        return created, duplicates

    async def _valid_rows_only(self, places: Places) -> None:
        """Each batch in a transaction of its own, on two connections in turn: a batch's rows go in
        while the batch before is checked for duplicates and committed (on two cores PostgreSQL's
        work for the two overlaps: issue 27)."""
        counts = {"processed_rows": 0, "valid_rows": 0, "error_rows": 0}
        created = duplicates = 0
        second = await asyncpg.connect(self.dsn)
        await yield_like_this_process(second)
        writers, running = (self.db, second), collections.deque[asyncio.Future[tuple[int, int]]]()
        try:
            async with contextlib.aclosing(self._batches(places, stage=True)) as batches:
                number = 0
                async for read, errors, staged in batches:
                    self._count(counts, read, errors)
                    if len(running) == len(writers):  # the batch two before is done with its connection
                        made, dup = await running.popleft()
                        created, duplicates = created + made, duplicates + dup
                    running.append(asyncio.ensure_future(self._write_in_turn(
                        writers[number % len(writers)], staged, dict(counts), errors,
                        after=running[-1] if running else None)))
                    number += 1
            while running:
                made, dup = await running.popleft()
                created, duplicates = created + made, duplicates + dup
        finally:  # a batch being written when the import stops or fails ends, committed or not, before it goes
            await asyncio.gather(*running, return_exceptions=True)
            await second.close()
        await self._progress(counts, [], total=True)
        await self._finish("completed", None, created=created, duplicates=duplicates)

    async def _write_in_turn(self, connection: asyncpg.Connection, staged: store.Staged, counts: dict,
                             errors: list, *, after: asyncio.Future | None) -> tuple[int, int]:
        """A batch beside the one before (`after`): its rows go in at once; it is checked for
        duplicates and committed only once that one has committed, so a row is checked against every
        earlier batch and never a later one (as with one connection), and the import's progress
        moves in order. The batch before failing, this one writes nothing."""
        relay = self._relay()
        async with connection.transaction():
            made = await store.write_rows(connection, staged, handing_over=relay is not None, **self._writing(staged))
            if after is not None:
                await after
            duplicates = await store.check_duplicates(connection, staged, made)
            await self._progress(counts, errors, connection=connection)
        if relay is not None and made:
            relay.take(store.announced(staged, made))
        return len(made), duplicates

    @staticmethod
    def _count(counts: dict, read: int, errors: list) -> None:
        bad = len({issue[1] for issue in errors})  # a row can have several errors
        counts["processed_rows"] += read
        counts["valid_rows"] += read - bad
        counts["error_rows"] += bad

    def _writing(self, staged: store.Staged) -> dict:
        """How a batch is written: by the uploader, and with the children's statistics refreshed
        when the table has doubled since they were taken."""
        self._written += len(staged.records)
        size = self._children + self._written
        refresh = bool(staged.records) and size >= max(self._analysed_at, ANALYSED_AT_LEAST) * 2
        if refresh:
            self._analysed_at = size
        return {"actor": self.row["actor"], "actor_role": self.row["actor_role"], "refresh_statistics": refresh}

    async def _progress(self, counts: dict, issues: list, *, total: bool = False,
                        connection: asyncpg.Connection | None = None) -> list:
        connection = connection or self.db
        if issues:
            await connection.copy_records_to_table("import_issues", records=issues, columns=store.ISSUE_COLUMNS)
        await connection.execute(
            "UPDATE imports SET processed_rows = $2, valid_rows = $3, error_rows = $4"
            + (", total_rows = $2" if total else "") + " WHERE id = $1",
            self.id, counts["processed_rows"], counts["valid_rows"], counts["error_rows"])
        return []

    async def _finish(self, status: str, failure: str | None, *, created: int = 0, duplicates: int = 0) -> None:
        await self.db.execute(
            "UPDATE imports SET status = $2, failure = $3, created_children = created_children + $4, "
            "duplicate_rows = duplicate_rows + $5, finished_at = $6 WHERE id = $1",
            self.id, status, failure, created, duplicates, self.clock.now())
