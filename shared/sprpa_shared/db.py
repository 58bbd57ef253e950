"""Async database engine on asyncpg. The request (or the consumed event) is the transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession


def create_engine(sqlalchemy_url: str, *, pool_size: int = 10, statement_timeout: float = 60.0) -> AsyncEngine:
    """Every statement is cut off after `statement_timeout` seconds, and a transaction left idle
    twice that long is ended by the server: a runaway query or a stuck request cannot hold rows
    and connections for ever."""
    milliseconds = str(int(statement_timeout * 1000))
    return create_async_engine(
        sqlalchemy_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={"server_settings": {"statement_timeout": milliseconds,
                                          "idle_in_transaction_session_timeout": str(int(milliseconds) * 2)}},
    )


def session_factory(engine: AsyncEngine, *, metrics=None) -> async_sessionmaker[AsyncSession]:
    """Sessions of a service; `session.info["metrics"]` is the service's metrics, when given, for
    domain code that counts what it does (offers made, ...) without reaching for the app."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False,
                              info={"metrics": metrics} if metrics is not None else None)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: committed when the block ends, rolled back if it raises."""
    async with sessions() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
