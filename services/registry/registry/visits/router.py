"""Monitoring visits of a child, and the visits overdue in the caller's area."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from sqlmodel import col, select

from registry import access
from registry.children.models import Child
from registry.children.router import etag
from registry.children.schemas import VILLAGE_CODE
from registry.dependencies import ChildDep
from registry.visits import service
from registry.visits.models import Visit
from registry.visits.schemas import OverdueVisit, OverdueVisits, VisitCreate, VisitPage, VisitPublic
from sprpa_shared import audit, concurrency, idempotency
from sprpa_shared.concurrency import IfMatch
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.errors import NotFound
from sprpa_shared.idempotency import IdempotencyKey
from sprpa_shared.pagination import Cursor, Keyset, Limit, UpdatedSince

router = APIRouter(prefix="/api/v1", tags=["visits"])


def _public(visit: Visit, next_due) -> VisitPublic:
    return VisitPublic(**visit.model_dump(), next_visit_due=next_due)


@router.post("/children/{child_id}/visits", dependencies=[needs("registry:write")],
             status_code=status.HTTP_201_CREATED, response_model=VisitPublic,
             summary="Record a monitoring visit; the child is reclassified and the case moves as it proves. "
                     "Needs If-Match with the child's ETag: a visit changes the child's work, school and living "
                     "facts, so it must not overwrite a change it has not seen")
async def record_visit(data: VisitCreate, child: ChildDep, response: Response, session: SessionDep,
                       principal: PrincipalDep, clock: ClockDep, if_match: IfMatch = None,
                       idempotency_key: IdempotencyKey = None) -> VisitPublic:
    async def record(new: uuid.UUID) -> Visit:
        # After the replay check: a retried visit (same key) answers the first result, not a 412.
        concurrency.require_match(if_match, child.version, what="child's record")
        return await service.record(session, child=child, data=data, principal=principal, now=clock.now(),
                                    visit_id=new)

    visit = await idempotency.once(
        session, response, principal=principal, key=idempotency_key, route=f"POST /api/v1/children/{child.id}/visits",
        body=data, now=clock.now(), replay=lambda earlier: session.get(Visit, earlier), create=record)
    response.headers["ETag"] = etag(child)
    response.headers["Location"] = f"/api/v1/children/{child.id}/visits/{visit.id}"
    return _public(visit, child.next_visit_due)


@router.get("/children/{child_id}/visits", dependencies=[needs("registry:read")], response_model=VisitPage,
            summary="A child's visits, oldest first (all on one page)")
async def list_visits(child: ChildDep, session: SessionDep) -> VisitPage:
    visits = await service.visits_of(session, child.id)
    return VisitPage(items=[_public(visit, child.next_visit_due if visit is visits[-1] else None) for visit in visits])


@router.get("/children/{child_id}/visits/{visit_id}", dependencies=[needs("registry:read")],
            response_model=VisitPublic, summary="One visit of the child")
async def read_visit(visit_id: uuid.UUID, child: ChildDep, session: SessionDep) -> VisitPublic:
    visit = await session.get(Visit, visit_id)
    if visit is None or visit.child_id != child.id:
        raise NotFound("no such visit of this child")
    return _public(visit, None)


@router.get("/visits", dependencies=[needs("registry:read")], response_model=VisitPage,
            summary="Visits in the caller's area, in the order they were recorded; with `updated_since`, those "
                    "changed since, oldest change first")
async def area_visits(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    clock: ClockDep,
    village_code: Annotated[str | None, Query(pattern=VILLAGE_CODE)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    updated_since: UpdatedSince = None,
) -> VisitPage:
    access.require_lister(principal)
    query = select(Visit).join(Child, col(Child.id) == col(Visit.child_id)).where(access.scope_filter(principal))
    if village_code:
        query = query.where(Child.village_code == village_code)
    keyset = Keyset.listing(created=col(Visit.recorded_at), updated=col(Visit.updated_at), id_=col(Visit.id),
                            updated_since=updated_since)
    page, next_cursor = await keyset.read(session, query, request=request, cursor=cursor, limit=limit,
                                          updated_since=updated_since)
    await audit.record(session, principal=principal, request=request, at=clock.now(),
                       child_ids=list(dict.fromkeys(visit.child_id for visit in page)))
    return VisitPage(items=[_public(visit, None) for visit in page], next_cursor=next_cursor)


@router.get("/visits/overdue", dependencies=[needs("registry:read")], response_model=OverdueVisits,
            summary="Children in the caller's area whose next visit is past due, most overdue first")
async def overdue_visits(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    clock: ClockDep,
    village_code: Annotated[str | None, Query(pattern=VILLAGE_CODE)] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> OverdueVisits:
    access.require_lister(principal)
    today = clock.now().date()
    rows = await service.overdue(session, principal=principal, today=today, village_code=village_code,
                                 limit=limit, cursor=cursor)
    children = rows[:limit]
    await audit.record(session, principal=principal, request=request, child_ids=[c.id for c in children],
                       at=clock.now())
    return OverdueVisits(
        items=[OverdueVisit(child_id=c.id, full_name=c.full_name, village_code=c.village_code, status=c.status,
                            next_visit_due=c.next_visit_due, days_overdue=(today - c.next_visit_due).days)
               for c in children],
        next_cursor=service.OVERDUE_ORDER.next_cursor(rows, limit),
    )
