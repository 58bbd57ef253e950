"""The audit log, for national admins only: query it (the query is itself audited) and check
that its hash chain is whole."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import text

from sprpa_shared import audit
from sprpa_shared.auth.principal import Role
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.pagination import Limit, Page


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor: str
    actor_role: str
    action: str
    child_id: uuid.UUID | None
    child_ids: list[uuid.UUID] | None = Field(None, description="the children a row names together (a bulk import's "
                                                                  "batch); child_id is empty then")
    object_id: uuid.UUID | None = Field(description="the other record touched: a household, an import, a referral")
    outcome: str | None = Field(description="allowed or refused; empty on rows written before outcomes were kept")
    client_ip: str | None
    trace_id: str | None
    seal_seq: int | None
    hash: str | None


class AuditPage(Page[AuditEntry]):
    pass


class ChainCheck(BaseModel):
    sealed: int
    unsealed: int
    intact: bool
    first_broken: int | None = Field(description="the first seal_seq that no longer fits: an edited, deleted or "
                                                 "re-sealed row, or a tail cut below the latest anchor")


_QUERY = text("""
SELECT id, at, actor, actor_role, action, child_id, child_ids, object_id, outcome, client_ip, trace_id, seal_seq,
       encode(hash, 'hex') AS hash
FROM audit_log
WHERE id > :after
  AND (CAST(:child_id AS uuid) IS NULL OR child_id = :child_id OR child_ids @> ARRAY[CAST(:child_id AS uuid)])
  AND (CAST(:actor AS text) IS NULL OR actor = :actor)
  AND (CAST(:action AS text) IS NULL OR action LIKE :action || '%')
  AND (CAST(:since AS timestamptz) IS NULL OR at >= :since)
  AND (CAST(:until AS timestamptz) IS NULL OR at < :until)
ORDER BY id
LIMIT :limit
""")


def audit_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

    @router.get("", dependencies=[needs("audit:read")],
                summary="Who did what to which record, when and from where (national admins)",
                response_model=AuditPage)
    async def query(
        request: Request, session: SessionDep, principal: PrincipalDep, clock: ClockDep,
        child_id: uuid.UUID | None = None,
        actor: Annotated[str | None, Query(max_length=200)] = None,
        action: Annotated[str | None, Query(max_length=200, description="prefix, e.g. `GET /api/v1/children`")] = None,
        since: datetime | None = None, until: datetime | None = None,
        cursor: Annotated[str | None, Query(pattern=r"^\d{1,19}$", description="next_cursor of the previous page")]
        = None,
        limit: Limit = 100,
    ) -> AuditPage:
        principal.require_role(Role.NATIONAL_ADMIN)
        after = int(cursor) if cursor else 0
        connection = await session.connection()
        rows = (await connection.execute(_QUERY, {"after": after, "child_id": child_id, "actor": actor,
                                                   "action": action, "since": since, "until": until,
                                                   "limit": limit})).mappings().all()
        # Reading the audit log is itself audited, naming the child when the query names one.
        if child_id is not None:
            await audit.record(session, principal=principal, request=request, child_ids=[child_id], at=clock.now())
        else:
            await audit.record_event(session, actor=principal.subject, role=principal.role.value,
                                     action="GET /api/v1/audit", request=request, at=clock.now())
        items = [AuditEntry(**row) for row in rows]
        return AuditPage(items=items, next_cursor=str(items[-1].id) if len(items) == limit else None)

    @router.get("/verify", dependencies=[needs("audit:read")],
                summary="Whether the audit log's hash chain is whole (national admins)",
                response_model=ChainCheck)
    async def verify(request: Request, session: SessionDep, principal: PrincipalDep, clock: ClockDep) -> ChainCheck:
        principal.require_role(Role.NATIONAL_ADMIN)
        connection = await session.connection()
        sealed, first_broken, head_seq, head_hash = await audit.verify(
            connection, request.app.state.settings.audit_keyring())
        anchored = await audit.latest_anchor(request.app)
        if first_broken is None and anchored is not None:
            anchor_seq, anchor_hash = anchored
            if anchor_seq > (head_seq or 0):
                first_broken = (head_seq or 0) + 1  # rows sealed and anchored are gone
            else:
                row = (await connection.execute(text("SELECT hash FROM audit_log WHERE seal_seq = :s"),
                                                {"s": anchor_seq})).first()
                if row is None or bytes(row.hash) != anchor_hash:
                    first_broken = anchor_seq
        unsealed = (await connection.execute(
            text("SELECT count(*) FROM audit_log WHERE seal_seq IS NULL"))).scalar_one()
        await audit.record_event(session, actor=principal.subject, role=principal.role.value,
                                 action="GET /api/v1/audit/verify", request=request, at=clock.now())
        return ChainCheck(sealed=sealed, unsealed=unsealed, intact=first_broken is None, first_broken=first_broken)

    return router
