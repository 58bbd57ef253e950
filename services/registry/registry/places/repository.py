"""Queries over the official places."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from registry.places.names import Candidate, normalise

LEVELS = {1: "province", 2: "regency", 3: "district", 4: "village"}
LEVEL_OF = {name: level for level, name in LEVELS.items()}


async def _rows(session: AsyncSession, query: str, params: dict):
    return (await (await session.connection()).execute(text(query), params)).mappings().all()


async def exists(session: AsyncSession, code: str, level: int | None = None) -> bool:
    rows = await _rows(
        session,
        "SELECT 1 FROM regions WHERE code = :code AND (CAST(:level AS smallint) IS NULL OR level = :level)",
        {"code": code, "level": level},
    )
    return bool(rows)


async def is_village(session: AsyncSession, code: str) -> bool:
    return await exists(session, code, 4)


async def get(session: AsyncSession, code: str) -> dict | None:
    rows = await _rows(session, "SELECT code, level, parent_code, name FROM regions WHERE code = :code",
                       {"code": code})
    return dict(rows[0]) if rows else None


async def children_of(session: AsyncSession, parent: str | None) -> list[dict]:
    query = (
        "SELECT code, level, parent_code, name FROM regions WHERE parent_code = :parent ORDER BY code"
        if parent
        else "SELECT code, level, parent_code, name FROM regions WHERE level = 1 ORDER BY code"
    )
    return [dict(row) for row in await _rows(session, query, {"parent": parent})]


async def lineage(session: AsyncSession, code: str) -> list[dict]:
    """The place and its parents, nearest first."""
    codes = [".".join(code.split(".")[:depth]) for depth in range(len(code.split(".")), 0, -1)]
    rows = await _rows(session, "SELECT code, level, name FROM regions WHERE code = ANY(:codes)", {"codes": codes})
    return sorted((dict(row) for row in rows), key=lambda row: -row["level"])


async def candidates(session: AsyncSession, name: str, *, level: int, within: str | None,
                     limit: int = 50) -> list[Candidate]:
    """Places at `level` whose name is close to `name` (trigram index), with their parents' names."""
    rows = await _rows(
        session,
        """
        SELECT r.code, r.name,
               array_remove(ARRAY[p1.name, p2.name, p3.name], NULL) AS parent_names
        FROM regions r
        LEFT JOIN regions p1 ON p1.code = r.parent_code
        LEFT JOIN regions p2 ON p2.code = p1.parent_code
        LEFT JOIN regions p3 ON p3.code = p2.parent_code
        WHERE r.level = :level
          AND (CAST(:within AS text) IS NULL OR r.code = :within OR r.code LIKE :within || '.%')
          AND (r.search_name = :q OR r.search_name % :q)
        ORDER BY similarity(r.search_name, :q) DESC, r.code
        LIMIT :limit
        """,
        {"level": level, "within": within, "q": normalise(name), "limit": limit},
    )
    return [Candidate(row["code"], row["name"], tuple(row["parent_names"])) for row in rows]
