"""Statements of the notify service run on the session's connection (Core: no ORM objects)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Result
from sqlmodel.ext.asyncio.session import AsyncSession


async def run(session: AsyncSession, statement, params: dict[str, Any] | None = None) -> Result:
    return await (await session.connection()).execute(statement, params or {})
