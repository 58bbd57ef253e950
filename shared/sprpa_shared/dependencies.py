"""The dependency aliases routes declare: a session (the transaction), the caller, the clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from sprpa_shared.auth.principal import Principal
from sprpa_shared.clock import Clock
from sprpa_shared.errors import Unauthorized


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request is the transaction: committed when the endpoint returns, before the response."""
    async with request.app.state.sessions() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def _principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("a bearer token is required")
    principal = await request.app.state.verifier.verify(token.strip())
    request.state.principal = principal
    return principal


async def _clock(request: Request) -> Clock:
    # async: FastAPI runs a plain `def` dependency on a worker thread, a thread hop per request.
    return request.app.state.clock


SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]
PrincipalDep = Annotated[Principal, Depends(_principal)]
ClockDep = Annotated[Clock, Depends(_clock)]
