"""Statements of the notify service run on the session's connection (Core: no ORM objects)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Result, Row
from sqlmodel.ext.asyncio.session import AsyncSession

from sprpa_shared.pagination import Page, encode_cursor

T = TypeVar("T")


async def run(session: AsyncSession, statement, params: dict[str, Any] | None = None) -> Result:
    return await (await session.connection()).execute(statement, params or {})


def page_of(rows: Sequence[Row], limit: int, item: Callable[[Row], T]) -> Page[T]:
    """A page of a list read `limit + 1` rows at a time in (created_at, id) order; the extra row
    says another page follows."""
    last = rows[limit - 1] if len(rows) > limit else None
    return Page(items=[item(row) for row in rows[:limit]],
                next_cursor=encode_cursor(last.created_at, last.id) if last else None)
