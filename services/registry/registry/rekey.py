"""`python -m registry rekey`: seal every protected value with the current data key (values
written before encryption was switched on, or under a key being retired) and recompute every
child's NIK blind index and name sound tags (after the blind-index key changed, or for children
registered before the tags existed). Safe to run while the service serves: each
batch is its own transaction and a row updated meanwhile is simply sealed again."""

from __future__ import annotations

import uuid

import asyncpg

from registry.duplicates.rules import name_sounds
from registry.duplicates.sounds import tags as sound_tags
from registry.settings import RegistrySettings
from sprpa_shared.observability import get_logger
from sprpa_shared.protect import Protector

log = get_logger(__name__)

PROTECTED = {  # table: its encrypted columns (the ORM models say the same with `Protected()`)
    "children": ("full_name", "nik"),
    "households": ("head_name", "address"),
    "visits": ("notes",),
    "consents": ("given_by", "legal_reason"),
}
BATCH = 1000


async def rekey(settings: RegistrySettings) -> dict[str, int]:
    """Returns how many rows of each table were rewritten."""
    protector = settings.protector()
    connection = await asyncpg.connect(settings.asyncpg_url)
    rewritten = {}
    try:
        for table, columns in PROTECTED.items():
            rewritten[table] = await _rekey_table(connection, protector, table, columns)
    finally:
        await connection.close()
    log.info("protected values sealed with the current key", key=protector.current, **rewritten)
    return rewritten


async def _rekey_table(connection: asyncpg.Connection, protector: Protector, table: str,
                       columns: tuple[str, ...]) -> int:
    listed = ", ".join(columns)
    indexed = table == "children"
    derived = ", nik_index, name_sounds, district_code, birth_date" if indexed else ""
    select = f"SELECT id, {listed}{derived} FROM {table} WHERE id > $1 ORDER BY id LIMIT $2"
    assignments = ", ".join(f"{column} = ${number}" for number, column in enumerate(columns, start=2))
    if indexed:
        assignments += f", nik_index = ${len(columns) + 2}, name_sounds = ${len(columns) + 3}"
    update = f"UPDATE {table} SET {assignments} WHERE id = $1"
    after, total = None, 0
    while True:
        rows = await connection.fetch(select, after or _FIRST_ID, BATCH)
        if not rows:
            return total
        changes = []
        for row in rows:
            opened = [protector.open(row[column]) for column in columns]
            stale = any(not protector.is_current(row[column]) for column in columns)
            index = []
            if indexed:
                name = opened[columns.index("full_name")]
                index = [protector.index(opened[columns.index("nik")]),
                         sound_tags(name_sounds(name), row["district_code"], row["birth_date"], keys=protector)[0]]
                stale = stale or index != [row["nik_index"], row["name_sounds"]]
            if stale:
                sealed = [protector.seal(value) for value in opened]
                changes.append((row["id"], *sealed, *index))
        if changes:
            async with connection.transaction():
                await connection.executemany(update, changes)
            total += len(changes)
        after = rows[-1]["id"]


_FIRST_ID = uuid.UUID(int=0)
