"""The dependency aliases routes declare: a session (the transaction), the caller, the clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from sqlmodel.ext.asyncio.session import AsyncSession

from sprpa_shared.auth.principal import SIGNED_IN, Principal
from sprpa_shared.clock import Clock
from sprpa_shared.db import write_later
from sprpa_shared.errors import InsufficientScope, Unauthorized


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request is the transaction: committed when the endpoint returns, before the response."""
    async with request.app.state.sessions() as session:
        try:
            yield session
            await write_later(session)
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


# Declared so that the OpenAPI document lists, per operation, the bearer token and the scope it needs.
_bearer = HTTPBearer(auto_error=False, scheme_name="bearer",
                     description="an access token of the issuer; API clients' tokens carry `scope`")


async def _principal(request: Request, security_scopes: SecurityScopes,
                     _: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None) -> Principal:
    """The caller, verified once per request; with the scopes an operation declared (`needs`), an API
    client lacking one is refused (people act through their role and place, not scopes)."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        header = request.headers.get("authorization", "")
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("a bearer token is required")
        principal = await request.app.state.verifier.verify(token.strip())
        request.state.principal = principal
    missing = [scope for scope in security_scopes.scopes if not principal.has_scope(scope)]
    if missing:
        raise InsufficientScope(f"this operation needs the scope {' '.join(missing)}", required=missing)
    return principal


def needs(scope: str | None) -> Any:
    """What an operation declares in its decorator, `dependencies=[needs("registry:read")]`: the API
    scope it needs (None: any authenticated caller, for operations about the caller alone). Every
    operation declares one; tests/security/test_scope_matrix.py fails for one that does not, and
    for a declaration that is not enforced."""
    return Security(_principal, scopes=[scope] if scope else [SIGNED_IN])


async def _clock(request: Request) -> Clock:
    # async: FastAPI runs a plain `def` dependency on a worker thread, a thread hop per request.
    return request.app.state.clock


SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]
PrincipalDep = Annotated[Principal, Depends(_principal)]
ClockDep = Annotated[Clock, Depends(_clock)]
