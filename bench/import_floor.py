"""The import's fair floor (issue 27): the same survey rows written set-based into the same tables
with the same indexes (children, case history, audit log, outbox), one transaction per batch, with
every row validated, classified and sealed beforehand. It is what PostgreSQL alone costs for an
import; the import through the API is compared with it as well as with a bare `COPY`.

The tables are copies of the registry's (`CREATE TABLE ... (LIKE ... INCLUDING ALL)`: the same
columns, defaults and indexes) in a schema of their own, dropped afterwards, so the floor never
touches the registry's children. Each batch runs the registry's own statements
(`registry.imports.store`), less the duplicate check, which is Python over candidates the
database finds.
"""

from __future__ import annotations

import csv
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from bench.cpu_counters import cpu_seconds
from bench.stack import BenchStack
from registry.imports import store
from registry.imports.columns import map_headers
from registry.imports.validation import Places, load_places, validate_row
from registry.settings import RegistrySettings
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.events import outbox
from sprpa_shared.protect import Protector, configure

SCHEMA = "bench_floor"
TABLES = ("children", "case_history", "audit_log", "outbox")
FLOOR_IMPORT = uuid.UUID("00000000-0000-4000-8000-00000000f100")  # the events' import id
BATCH_ROWS = RegistrySettings.model_fields["import_batch_rows"].default


def staged_batches(path: Path, places: Places) -> Iterator[store.Staged]:
    """Every row of the file validated, classified, sealed and staged, in the import's batches (one
    at a time: a million rows staged at once held 1.3 GB)."""
    configure(Protector.from_config(data_keys="", data_key_current="", blind_index_key="",
                                    secret_key="the import floor's own key"))
    principal = Principal(subject="bench-floor", role=Role.NATIONAL_ADMIN)
    now = datetime.now(UTC)
    valid = []
    with open(path, newline="") as handle:
        rows = csv.reader(handle)
        columns = map_headers(next(rows))
        for number, cells in enumerate(rows, start=2):
            values = {name: cells[index] for index, name in columns.items() if index < len(cells)}
            row, _ = validate_row(number, values, places=places, resolve=lambda *_: (None, "by code only"),
                                  principal=principal, today=now.date())
            if row is not None:
                valid.append(row)
            if len(valid) == BATCH_ROWS:
                yield store.stage(valid, child_id=store.ordered_ids(path.name), now=now, import_id=FLOOR_IMPORT)
                valid = []
    if valid:
        yield store.stage(valid, child_id=store.ordered_ids(path.name), now=now, import_id=FLOOR_IMPORT)


async def _write(connection: asyncpg.Connection, staged: store.Staged) -> None:
    await connection.execute(store.STAGE)
    await connection.copy_records_to_table("import_stage", records=staged.records, columns=store.STAGE_COLUMNS)
    await connection.execute(store.ANALYZE_STAGE)
    await connection.fetch(store.INSERT_CHILDREN, staged.now, "bench-floor", "national_admin", str(FLOOR_IMPORT))
    await outbox.write(connection, staged.announced)


async def floor(stack: BenchStack, path: Path) -> dict:
    """Seconds to write the file's rows the set-based way, and PostgreSQL's CPU per row meanwhile."""
    connection = await asyncpg.connect(stack.database_url("registry"))
    try:
        places = await load_places(connection)
        await connection.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}")
        for table in TABLES:
            await connection.execute(f"CREATE TABLE {SCHEMA}.{table} (LIKE public.{table} INCLUDING ALL)")
        await connection.execute(f"SET search_path = {SCHEMA}, public")
        rows, seconds, postgres = 0, 0.0, 0.0
        for staged in staged_batches(path, places):  # staged between the writes, which alone are timed
            before, started = cpu_seconds(stack)["postgres"], time.perf_counter()
            async with connection.transaction():
                await _write(connection, staged)
            seconds += time.perf_counter() - started
            postgres += cpu_seconds(stack)["postgres"] - before
            rows += len(staged.records)
        postgres_us = postgres * 1e6 / rows
        await connection.execute(f"RESET search_path; DROP SCHEMA {SCHEMA} CASCADE")
        return {"rows": rows, "seconds": seconds, "postgres_us_per_row": round(postgres_us, 1)}
    finally:
        await connection.close()
