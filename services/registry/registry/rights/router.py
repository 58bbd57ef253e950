"""A child's rights over their data: district operators (of the child's kabupaten) and national
admins act on a data subject's request and see who read the record (`/accesses`); all is audited.

An export or an erasure is asked by one person (`POST /rights-requests`) and confirmed by a second
(`.../confirm`): an erasure is carried out on confirmation, an export may then be downloaded
(`GET /export`) for 24 hours. Nobody alone hands over or destroys a child's record."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text

from registry import access
from registry.dependencies import ChildDep
from registry.rights import service
from registry.rights.models import RightsRequest
from sprpa_shared import idempotency
from sprpa_shared.audit import NAMES_CHILD
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.errors import NotFound
from sprpa_shared.idempotency import IdempotencyKey
from sprpa_shared.pagination import Limit, Page
from sprpa_shared.text import PlainText

router = APIRouter(prefix="/api/v1/children", tags=["data subject rights"])


class RightsRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["export", "erasure"]
    basis: Literal["data_subject_request", "court_order"] | None = Field(
        default=None, description="erasure: why (the retention period erases on its own, as `retention`)")
    reference: Annotated[PlainText | None, Field(max_length=100, description="the letter or decision number")] = None


class RightsRequestPublic(BaseModel):
    id: uuid.UUID
    child_id: uuid.UUID
    kind: Literal["export", "erasure"]
    basis: str | None
    reference: str | None
    status: Literal["pending", "confirmed", "done", "cancelled"] = Field(
        description="pending: waits for a second person; confirmed: an export, downloadable until usable_until; "
                    "done: erased")
    requested_by: str
    requested_at: datetime
    confirmed_by: str | None
    confirmed_at: datetime | None
    usable_until: datetime | None


class RightsRequests(Page[RightsRequestPublic]):
    pass


def _public(asked) -> RightsRequestPublic:
    return RightsRequestPublic(**asked.model_dump())


@router.post("/{child_id}/rights-requests", dependencies=[needs("registry:write")], status_code=201,
             response_model=RightsRequestPublic,
             summary="Ask for an export or an erasure of the child's data; a second person confirms it")
async def ask(data: RightsRequestCreate, child: ChildDep, response: Response, session: SessionDep,
              principal: PrincipalDep, clock: ClockDep, idempotency_key: IdempotencyKey = None) -> RightsRequestPublic:
    asked = await idempotency.once(
        session, response, principal=principal, key=idempotency_key, route="POST /api/v1/children/{child_id}/"
        "rights-requests", body=data, now=clock.now(), replay=lambda earlier: session.get(RightsRequest, earlier),
        create=lambda new: service.ask(session, child=child, kind=data.kind, basis=data.basis,
                                       reference=data.reference, principal=principal, now=clock.now(),
                                       request_id=new))
    response.headers["Location"] = f"/api/v1/children/{child.id}/rights-requests/{asked.id}"
    response.headers["ETag"] = '"1"'
    return _public(asked)


@router.get("/{child_id}/rights-requests", dependencies=[needs("registry:read")], response_model=RightsRequests,
            summary="The child's export and erasure requests, newest first")
async def list_requests(child: ChildDep, session: SessionDep, principal: PrincipalDep) -> RightsRequests:
    access.require_district(principal)
    return RightsRequests(items=[_public(asked) for asked in await service.requests_of(session, child)])


@router.get("/{child_id}/rights-requests/{request_id}", dependencies=[needs("registry:read")],
            response_model=RightsRequestPublic)
async def read_request(request_id: uuid.UUID, child: ChildDep, session: SessionDep,
                       principal: PrincipalDep) -> RightsRequestPublic:
    access.require_district(principal)
    asked = await session.get(RightsRequest, request_id)
    if asked is None or asked.child_id != child.id:
        raise NotFound("no such request for this child")
    return _public(asked)


@router.post("/{child_id}/rights-requests/{request_id}/confirm", dependencies=[needs("registry:write")],
             response_model=RightsRequestPublic,
             summary="Confirm another person's request: an erasure is carried out; an export opens for 24 hours")
async def confirm(request_id: uuid.UUID, child: ChildDep, session: SessionDep, principal: PrincipalDep,
                  clock: ClockDep) -> RightsRequestPublic:
    return _public(await service.confirm(session, child=child, request_id=request_id, principal=principal,
                                         now=clock.now()))


@router.post("/{child_id}/rights-requests/{request_id}/cancel", dependencies=[needs("registry:write")],
             response_model=RightsRequestPublic, summary="Withdraw a request not yet carried out")
async def cancel(request_id: uuid.UUID, child: ChildDep, session: SessionDep,
                 principal: PrincipalDep) -> RightsRequestPublic:
    return _public(await service.cancel(session, child=child, request_id=request_id, principal=principal))


@router.get("/{child_id}/export", dependencies=[needs("registry:read")],
            summary="Everything the registry holds about a child, for the child or guardian (needs an export "
                    "request confirmed by a second person in the last 24 hours)")
async def export(child: ChildDep, session: SessionDep, principal: PrincipalDep, clock: ClockDep) -> dict:
    access.require_district(principal)
    await service.require_confirmed_export(session, child, clock.now())
    return await service.export(session, child, clock.now().date())


class Access(BaseModel):
    at: datetime
    actor: str = Field(description="the person's username, the API client's id, or the service")
    actor_role: str
    action: str = Field(description="the route template read or changed")
    outcome: str | None = Field(description="refused: the attempt was refused")


class Accesses(Page[Access]):
    pass


_ACCESSES = text(f"""SELECT id, at, actor, actor_role, action, outcome FROM audit_log
                     WHERE {NAMES_CHILD.format(child="CAST(:child AS uuid)")} AND id < :before
                     ORDER BY id DESC LIMIT :limit""")


@router.get("/{child_id}/accesses", dependencies=[needs("registry:read")], response_model=Accesses,
            summary="Who read or changed the child's record, newest first (district operators, national admins)")
async def accesses(child: ChildDep, session: SessionDep, principal: PrincipalDep, limit: Limit = 100,
                   cursor: Annotated[str | None, Query(pattern=r"^\d{1,19}$",
                                                       description="next_cursor of the previous page")] = None
                   ) -> Accesses:
    access.require_district(principal)
    rows = (await (await session.connection()).execute(_ACCESSES, {
        "child": child.id, "before": int(cursor) if cursor else 2**63 - 1, "limit": limit + 1})).mappings().all()
    return Accesses(items=[Access(**row) for row in rows[:limit]],
                    next_cursor=str(rows[limit - 1]["id"]) if len(rows) > limit else None)
