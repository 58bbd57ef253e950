"""Writing a batch of valid rows: COPY into a staging table, then set-based inserts that skip
rows already created (child ids are derived from the file and the row, so a resumed import
never creates a child twice)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from operator import attrgetter

import asyncpg
from sqlalchemy import ARRAY
from sqlalchemy.dialects import postgresql

from registry.cases.lifecycle import CaseStatus
from registry.children import events
from registry.children.models import Child
from registry.children.schemas import ChildBase
from registry.duplicates.rules import (
    BIRTH_DATE_TOLERANCE_DAYS,
    name_key,
    name_likeness,
    name_sounds,
    similar_keys,
    sounds_alike,
)
from registry.duplicates.sounds import ALIKE, LOOKUP
from registry.duplicates.sounds import tags as sound_tags
from registry.imports.validation import ValidRow
from registry.visits.rules import next_visit_due
from sprpa_contracts.events import ChildrenImported
from sprpa_shared.events import outbox
from sprpa_shared.protect import protector

IMPORTED_THROUGH = "outreach"  # a survey upload is the cadres' door-to-door mapping
ROW_NAMESPACE = uuid.UUID("6c1b8a52-3f7e-4c56-9a0e-5d2f0b7c9e11")

# The children's columns an import writes: every field a person records about a child, and what the
# registry derives from them. The staging table takes their types from the table, but for an array,
# which it takes as text (`{1,2}`) and the insert makes an array: asyncpg's binary array encoder
# asks each element whether it is itself an array (an ABC check each), a tenth of the worker's
# writing thread (issue 27). Each value is the valid row's field of the same name unless
# `stage_record` makes it (`MADE`); the columns are staged in that order: the row's fields first.
STAGED = ("id", *ChildBase.model_fields, "nik_index", "name_sounds", "classification", "next_visit_due")
MADE = ("id", "full_name", "nik", "nik_index", "mapping_categories", "work", "identified_through", "classification",
        "next_visit_due", "name_sounds")
_COPIED = tuple(name for name in STAGED if name not in MADE)
STAGE_COLUMNS = ("row_number", *_COPIED, *MADE, "sought")  # sought: the name sound tags a row looks for
_TYPES = {name: Child.__table__.c[name].type for name in STAGED}
_AS_TEXT = frozenset(name for name, type_ in _TYPES.items() if isinstance(type_, ARRAY))
STAGE = ("CREATE TEMP TABLE IF NOT EXISTS import_stage (row_number integer, {}, sought text) "
         "ON COMMIT DELETE ROWS").format(
    ", ".join(f"{name} {'text' if name in _AS_TEXT else _TYPES[name].compile(dialect=postgresql.dialect())}"
              for name in STAGED))
_STAGED_VALUES = ", ".join(f"{name}::{_TYPES[name].compile(dialect=postgresql.dialect())}" if name in _AS_TEXT
                           else name for name in STAGED)
# The batch's children, their case history and the batch's one audit row (issue 27: one row per
# batch naming every child it wrote), in one statement: $1 when, $2 who, $3 their role, $4 the import.
INSERT_CHILDREN = f"""
WITH created AS (
    INSERT INTO children ({", ".join(STAGED)}, status, version, created_at, updated_at, created_by)
    SELECT {_STAGED_VALUES}, '{CaseStatus.IDENTIFIED.value}', 1, $1, $1, $2 FROM import_stage
    ON CONFLICT (id) DO NOTHING
    RETURNING id
), history AS (
    INSERT INTO case_history (child_id, at, actor, actor_role, from_status, to_status, reason)
    SELECT id, $1, $2, $3, NULL, '{CaseStatus.IDENTIFIED.value}', 'registered by import ' || $4::text FROM created
), audited AS (
    INSERT INTO audit_log (at, actor, actor_role, action, child_ids, object_id)
    SELECT $1, $2, $3, 'IMPORT /api/v1/imports/' || $4::text, array_agg(id), $4::text::uuid
    FROM created HAVING count(*) > 0
)
SELECT id::text FROM created
"""
# Names are stored encrypted: the database narrows the candidates without them, one row per new row:
# the same NIK by its blind index, or a name that sounds alike by its tags in the same kecamatan and
# birth week (registry.duplicates.sounds: `LOOKUP` through the index, `ALIKE` exactly) or, for a
# child whose tags are not computed yet (a partial index holds them), the same kecamatan; then a
# birth date within the tolerance. The rules compare the names after. The staged rows' tags are
# made arrays once (`sought`), not once for each arm of the look-up. The rows created are picked
# from the stage by a join on their ids: `id = ANY($1)` looked for each staged row through the
# whole array, a prepared statement's parameter not being hashed (issue 27: 10.8 ms of a batch of
# 2,000, against 1.8).
_SOUNDS = {"c": "c", "sought": "s.tags", "count": "s.sounds"}
CANDIDATES = f"""
WITH sought AS MATERIALIZED (
    SELECT row_number, id, nik_index, village_code, birth_date, sought::integer[] AS tags,
           cardinality(name_sounds::integer[]) AS sounds
    FROM import_stage WHERE id IN (SELECT unnest($1::uuid[]))
)
SELECT s.row_number, s.id::text AS child_id, array_agg(c.id::text) FILTER (WHERE c.same_nik) AS same_nik,
       array_agg(c.id::text) FILTER (WHERE NOT c.same_nik) AS nearby,
       array_agg(abs(c.birth_date - s.birth_date)) FILTER (WHERE NOT c.same_nik) AS days
FROM sought s
CROSS JOIN LATERAL (
    SELECT c.id, c.birth_date, true AS same_nik FROM children c
    WHERE s.nik_index IS NOT NULL AND c.nik_index = s.nik_index AND c.merged_into IS NULL AND c.id <> s.id
    UNION ALL
    SELECT c.id, c.birth_date, false FROM children c
    WHERE ({LOOKUP.format(**_SOUNDS)} AND {ALIKE.format(**_SOUNDS)} OR c.name_sounds IS NULL)
      AND c.merged_into IS NULL AND c.id <> s.id AND c.district_code = substr(s.village_code, 1, 8)
      AND c.birth_date BETWEEN s.birth_date - $2::int AND s.birth_date + $2::int
      AND (s.nik_index IS NULL OR c.nik_index IS DISTINCT FROM s.nik_index)
) c
GROUP BY s.row_number, s.id
"""
# Statistics only for the columns the duplicate check's plan turns on: the rest (names, work,
# classification) cost an ANALYZE most of its time and change no plan. Not the tags either: the
# common elements of an array column cost an ANALYZE of the children hundreds of milliseconds,
# and the look-up by tags takes the GIN index whatever their statistics say.
ANALYZE_STAGE = "ANALYZE import_stage (id, nik_index, village_code, birth_date)"
ANALYZE_CHILDREN = "ANALYZE children (id, merged_into, nik_index, district_code, birth_date)"
NAMES = "SELECT id::text AS id, full_name FROM children WHERE id = ANY($1::uuid[])"
ISSUE_COLUMNS = ["import_id", "row_number", "kind", "field", "message", "child_id"]


ORDERED, BY_FILE = "ordered", "file"  # how an import makes its rows' ids (`imports.row_ids`)


def row_ids(import_row) -> Callable[[int], str]:
    """The ids of an import's rows, as the import makes them (`imports.row_ids`): an import begun
    before the ids were ordered resumes with the ids it wrote."""
    if import_row["row_ids"] == BY_FILE:
        return child_ids(import_row["sha256"])
    return ordered_ids(import_row["sha256"])


def ordered_ids(sha256: str) -> Callable[[int], str]:
    """The ids of a file's rows in the order of the rows, as text: a UUID of version 8 (a layout
    of its own, RFC 9562) holding 90 bits of a hash of the file (as `child_ids` hashes it) and the
    row number between them. The same for every import of the file, in either mode, so a resumed
    import, or the file imported again, never creates a child twice; and consecutive, so an import
    adds its children at one place of each index keyed by child id (the children's, their
    history's, the reports' read model), not at a page picked at random from the whole index for
    each row (issue 27: 2,000 children and their history into a million, 29-33 us a row with
    random ids, 14-19 with consecutive ones). No other id is of version 8."""
    file = int.from_bytes(_file_hash(sha256).digest()[:12], "big")
    head = f"{file >> 48:012x}"
    head = f"{head[:8]}-{head[8:]}-8"
    variant_file = (0b10 << 62) | (file & _FILE_LOW)

    def child_id(row_number: int) -> str:
        if not 0 <= row_number < _ROWS:
            raise ValueError(f"row {row_number} is beyond an import's {_ROWS} rows")
        low = f"{variant_file | (row_number & 0xFFFFF) << 42:016x}"
        return f"{head}{row_number >> 20:03x}-{low[:4]}-{low[4:]}"
    return child_id


_FILE_LOW = (1 << 42) - 1  # the file's hash: 48 bits before the version, 42 after the row number
_ROWS = 1 << 32  # 12 bits of the row number before the variant, 20 after


def _file_hash(sha256: str):
    return hashlib.sha1(ROW_NAMESPACE.bytes + f"{sha256}:".encode())  # noqa: S324 - UUID version 5 is SHA-1


def child_ids(sha256: str) -> Callable[[int], str]:
    """The ids of a file's rows as imports made them before their ids were ordered (`BY_FILE`),
    `uuid5(ROW_NAMESPACE, f"{sha256}:{row_number}")` as text, made without a UUID object each (a
    twentieth of staging a row otherwise; tests hold them equal)."""
    file = _file_hash(sha256)

    def child_id(row_number: int) -> str:
        row = file.copy()
        row.update(str(row_number).encode())
        h = row.hexdigest()
        return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"
    return child_id


_VARIANT = "89ab"  # RFC 4122's variant bits over the digest's two low bits


@dataclass
class Staged:
    """A batch of valid rows made ready to write: CPU work only, so the next batch is staged on a
    worker thread while this one is written. Its events are kept as they will be written (the
    prepared `children.imported` events), not as a model per child."""

    records: list[tuple]
    keys: dict[str, tuple[int, str, frozenset[str]]]  # child id -> (row number, name key, name sounds)
    now: datetime  # when the rows are registered (their events' time)
    import_id: uuid.UUID
    announced: list[outbox.Prepared]  # the batch's events if every row is new (the usual case), made here


def stage(rows: list[ValidRow], *, child_id: Callable[[int], str], now: datetime, import_id: uuid.UUID) -> Staged:
    """The rows made ready to write, each with the id `child_id` gives its row number."""
    next_visit = next_visit_due(last_visit=now.date(), remediation_started=None)
    sealing = protector()
    names = sealing.seal_all([row.data.full_name for row in rows])
    niks = sealing.seal_all([row.data.nik for row in rows])
    records, keys, entries = [], {}, {}
    for row, name, nik in zip(rows, names, niks, strict=True):
        id_ = child_id(row.row_number)
        sounds = name_sounds(row.data.full_name)
        tags = sound_tags(sounds, row.data.village_code[:8], row.data.birth_date)
        records.append(stage_record(row, id_, next_visit=next_visit, sealed=(name, nik), tags=tags))
        keys[id_] = (row.row_number, name_key(row.data.full_name), sounds)
        entries[id_] = events.registered_payload(id_, row.data, row.classification,
                                                 identified_through=IMPORTED_THROUGH)
    return Staged(records, keys, now, import_id, _announced(entries, import_id=import_id, now=now))


def stage_record(row: ValidRow, id_: str, *, next_visit: date, sealed: tuple[str, str | None],
                 tags: tuple[list[int], list[int]]) -> tuple:
    """The staging row (`STAGE_COLUMNS`) of a valid row whose name and NIK are `sealed` already and
    whose name sound `tags` are made (stored, sought): the row's own fields, then what is made."""
    data = row.data
    return (row.row_number, *_copied(data), id_, sealed[0], sealed[1], protector().index(data.nik),
            _array(data.mapping_categories), data.work.model_dump_json() if data.work else None, IMPORTED_THROUGH,
            row.classification_json, next_visit, _array(tags[0]), _array(tags[1]))


_copied = attrgetter(*_COPIED)


def _array(values: list) -> str:
    """An array's text form, of integers or of codes (letters and underscores) that need no quotes."""
    return "{" + ",".join(map(str, values)) + "}"


async def write_batch(
    connection: asyncpg.Connection, staged: Staged, *, actor: str, actor_role: str, refresh_statistics: bool = False,
) -> tuple[int, int]:
    """Insert the rows inside the caller's transaction, then check them for duplicates; returns
    (children created, duplicates found)."""
    created = await write_rows(connection, staged, actor=actor, actor_role=actor_role,
                               refresh_statistics=refresh_statistics)
    return len(created), await check_duplicates(connection, staged, created)


async def write_rows(
    connection: asyncpg.Connection, staged: Staged, *, actor: str, actor_role: str, refresh_statistics: bool = False,
    handing_over: bool = False,
) -> list[str]:
    """Insert the rows not written yet, with their history, audit and events, inside the caller's
    transaction; returns the ids of the children created. `handing_over`: the caller gives the
    events (`announced`) to its own relay once committed, so no NOTIFY wakes the service's.

    The import's worker stages the next batch on a thread meanwhile, and both want the interpreter:
    so this side makes few round trips and little Python (the events were made while staging)."""
    if not staged.records:
        return []
    await connection.execute(STAGE)
    await connection.copy_records_to_table("import_stage", records=staged.records, columns=STAGE_COLUMNS)
    await connection.execute(ANALYZE_STAGE)
    created = [record[0] for record in await connection.fetch(
        INSERT_CHILDREN, staged.now, actor, actor_role, str(staged.import_id))]
    if not created:
        return created
    await outbox.write(connection, announced(staged, created), wake=not handing_over)
    if refresh_statistics:
        # A bulk load outruns autovacuum: without fresh statistics the planner takes the growing
        # children table for empty and the duplicate check turns quadratic.
        await connection.execute(ANALYZE_CHILDREN)
    return created


ANNOUNCED_PER_EVENT = 1_000


def announced(staged: Staged, created: list[str]) -> list[outbox.Prepared]:
    """The batch's events for the children `created` of it: all of them (the usual case) are the
    events made while staging; a resumed import that finds some rows written already announces
    the others only, again from the entries of those events."""
    if len(created) == len(staged.records):
        return staged.announced
    entries = {child["child_id"]: child for event in staged.announced
               for child in json.loads(event.envelope)["data"]["children"]}
    return _announced({child: entries[child] for child in created}, import_id=staged.import_id, now=staged.now)


def _announced(entries: dict[str, dict], *, import_id: uuid.UUID, now: datetime) -> list[outbox.Prepared]:
    """The children (`child.registered`'s JSON form each), announced per kabupaten in
    `children.imported` events of up to 1,000. The entries are written as they are, not validated
    into models again (tests/test_imports.py holds them to the contract)."""
    by_regency: dict[str, list[dict]] = {}
    for entry in entries.values():
        by_regency.setdefault(entry["village_code"][:5], []).append(entry)
    return [outbox.prepare_payload(
        ChildrenImported.model_construct(import_id=import_id, regency_code=regency),
        {"import_id": str(import_id), "regency_code": regency, "children": children[start:start + ANNOUNCED_PER_EVENT]},
        at=now)
        for regency, children in by_regency.items() for start in range(0, len(children), ANNOUNCED_PER_EVENT)]


async def check_duplicates(connection: asyncpg.Connection, staged: Staged, created: list[str]) -> int:
    """One issue per new row that may be an existing child: the best match, a same NIK first.

    The database narrows the candidates without their names (to the few whose names sound alike);
    the names of those not in this batch are read and decrypted after. The batch's rows must be
    in `import_stage` (`write_rows`, in the same transaction)."""
    if not created:
        return 0
    candidates = await connection.fetch(CANDIDATES, created, BIRTH_DATE_TOLERANCE_DAYS)
    # The batch's names by child id are the staged keys (row number, name key, sounds); the others
    # are read, decrypted and keyed here. Only the rows with candidates are looked at, not every
    # row of the batch (a dictionary of the batch made again for each batch cost the worker 3%).
    batch = staged.keys
    unknown = {child for candidate in candidates for child in candidate["nearby"] or () if child not in batch}
    others: dict[str, tuple[int, str, frozenset[str]]] = {}
    if unknown:
        opened = protector()
        for row in await connection.fetch(NAMES, list(unknown)):
            name = opened.open(row["full_name"])
            others[row["id"]] = (0, name_key(name), name_sounds(name))  # as a staged key; of no row here
    best: dict[int, tuple[float, bool, str]] = {}
    for candidate in candidates:
        number = candidate["row_number"]
        if candidate["same_nik"]:
            best[number] = (2.0, True, max(candidate["same_nik"]))
            continue
        _, key, sounds = batch[candidate["child_id"]]
        # A tag's rare collision, or a child without tags yet, brings a name whose sounds differ.
        nearby = [(child, days, named) for child, days in zip(candidate["nearby"] or [], candidate["days"] or [],
                                                             strict=True)
                  if (named := batch.get(child) or others.get(child)) is not None  # a child gone meanwhile
                  and sounds_alike(sounds, named[2])]
        for index, similarity in similar_keys(key, [named[1] for _, _, named in nearby]):
            child, days, _ = nearby[index]
            alike = name_likeness(similarity, days)
            if alike is not None and (found := (alike.score, False, child)) > best.get(number, (-1.0,)):
                best[number] = found
    issues = [(staged.import_id, row_number, "duplicate", "nik" if same_nik else "full_name",
               "same NIK as an existing child" if same_nik
               else "similar name and birth date in the same kecamatan as an existing child", existing)
              for row_number, (_, same_nik, existing) in sorted(best.items())]
    if issues:
        await connection.copy_records_to_table("import_issues", records=issues, columns=ISSUE_COLUMNS)
    return len(issues)
