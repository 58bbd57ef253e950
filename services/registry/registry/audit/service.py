"""Writes audit rows in the request's transaction: an access that is not recorded did not happen."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import Request
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from sprpa_shared.auth.principal import Principal
from sprpa_shared.observability import current_traceparent, trace_id_of

_RECORD = text(
    "INSERT INTO audit_log (at, actor, actor_role, action, child_id, client_ip, trace_id) "
    "SELECT :at, :actor, :role, :action, unnest(CAST(:child_ids AS uuid[])), :ip, :trace"
)


def action_of(request: Request) -> str:
    """`METHOD /route/{template}`: what was done, without the values in the path."""
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', request.url.path)}"


async def record(
    session: AsyncSession,
    *,
    principal: Principal,
    request: Request,
    child_ids: list[uuid.UUID],
    at: datetime,
    action: str | None = None,
) -> None:
    if not child_ids:
        return
    connection = await session.connection()
    await connection.execute(
        _RECORD,
        {
            "at": at,
            "actor": principal.subject,
            "role": principal.role.value,
            "action": action or action_of(request),
            "child_ids": child_ids,
            "ip": request.client.host if request.client else None,
            "trace": trace_id_of(current_traceparent()),
        },
    )
