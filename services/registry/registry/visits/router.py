"""Monitoring visits of a child, and the visits overdue in the caller's area."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from registry import access
from registry.children.router import etag
from registry.children.schemas import VILLAGE_CODE
from registry.dependencies import ChildDep
from registry.visits import service
from registry.visits.models import Visit
from registry.visits.schemas import OverdueVisit, VisitCreate, VisitPublic
from sprpa_shared import audit, idempotency
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.idempotency import IdempotencyKey
from sprpa_shared.pagination import Limit

router = APIRouter(prefix="/api/v1", tags=["visits"])


def _public(visit: Visit, next_due) -> VisitPublic:
    return VisitPublic(**visit.model_dump(), next_visit_due=next_due)


@router.post("/children/{child_id}/visits", dependencies=[needs("registry:write")],
             status_code=status.HTTP_201_CREATED, response_model=VisitPublic,
             summary="Record a monitoring visit; the child is reclassified and the case moves as it proves")
async def record_visit(data: VisitCreate, child: ChildDep, response: Response, session: SessionDep,
                       principal: PrincipalDep, clock: ClockDep,
                       idempotency_key: IdempotencyKey = None) -> VisitPublic:
    visit = await idempotency.once(
        session, response, principal=principal, key=idempotency_key, route=f"POST /api/v1/children/{child.id}/visits",
        body=data, now=clock.now(), replay=lambda earlier: session.get(Visit, earlier),
        create=lambda new: service.record(session, child=child, data=data, principal=principal, now=clock.now(),
                                          visit_id=new))
    response.headers["ETag"] = etag(child)
    return _public(visit, child.next_visit_due)


@router.get("/children/{child_id}/visits", dependencies=[needs("registry:read")], response_model=list[VisitPublic])
async def list_visits(child: ChildDep, session: SessionDep) -> list[VisitPublic]:
    visits = await service.visits_of(session, child.id)
    return [_public(visit, child.next_visit_due if visit is visits[-1] else None) for visit in visits]


@router.get("/visits/overdue", dependencies=[needs("registry:read")], response_model=list[OverdueVisit],
            summary="Children in the caller's area whose next visit is past due, most overdue first")
async def overdue_visits(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    clock: ClockDep,
    village_code: Annotated[str | None, Query(pattern=VILLAGE_CODE)] = None,
    limit: Limit = 100,
) -> list[OverdueVisit]:
    access.require_lister(principal)
    today = clock.now().date()
    children = await service.overdue(session, principal=principal, today=today, village_code=village_code,
                                     limit=limit)
    await audit.record(session, principal=principal, request=request, child_ids=[c.id for c in children],
                       at=clock.now())
    return [
        OverdueVisit(child_id=c.id, full_name=c.full_name, village_code=c.village_code, status=c.status,
                     next_visit_due=c.next_visit_due, days_overdue=(today - c.next_visit_due).days)
        for c in children
    ]
