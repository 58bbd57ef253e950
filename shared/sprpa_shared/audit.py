"""The append-only audit log of every access to a child's record, one table per service.

Rows are written in the request's transaction: an access that is not recorded did not happen.
The table refuses UPDATE, DELETE and TRUNCATE (a trigger), so a row once written stays.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import Request
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from sprpa_shared.auth.principal import Principal
from sprpa_shared.observability import current_traceparent, trace_id_of

AUDIT_DDL = [
    """
    CREATE TABLE audit_log (
        id         bigserial PRIMARY KEY,
        at         timestamptz NOT NULL,
        actor      text NOT NULL,
        actor_role text NOT NULL,
        action     text NOT NULL,
        child_id   uuid,
        client_ip  text,
        trace_id   text
    )""",
    "CREATE INDEX audit_log_child ON audit_log (child_id, id)",
    """
    CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_log is append-only';
    END $$""",
    """
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only()""",
]
AUDIT_DROP = ["DROP TABLE audit_log", "DROP FUNCTION audit_log_is_append_only"]

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
    """One row per child read or written (none when the list is empty)."""
    if child_ids:
        await _write(session, actor=principal.subject, role=principal.role.value,
                     action=action or action_of(request), request=request, at=at, child_ids=child_ids)


async def record_event(session: AsyncSession, *, actor: str, role: str, action: str, request: Request,
                       at: datetime) -> None:
    """An audited act that names no child: a login, a failed login, a lockout, an export."""
    await _write(session, actor=actor, role=role, action=action, request=request, at=at, child_ids=[None])


async def _write(session: AsyncSession, *, actor: str, role: str, action: str, request: Request, at: datetime,
                 child_ids: list[uuid.UUID | None]) -> None:
    await (await session.connection()).execute(_RECORD, {
        "at": at, "actor": actor, "role": role, "action": action, "child_ids": child_ids,
        "ip": request.client.host if request.client else None, "trace": trace_id_of(current_traceparent()),
    })
