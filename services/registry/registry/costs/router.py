"""Remediation costs."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlmodel import col, select

from registry.children.schemas import VILLAGE_CODE
from registry.costs import service
from registry.costs.models import Cost
from registry.costs.service import CostIn, CostPage, CostPublic
from sprpa_shared import idempotency
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.idempotency import IdempotencyKey
from sprpa_shared.pagination import Cursor, Keyset, Limit

router = APIRouter(prefix="/api/v1", tags=["costs"])
ORDER = Keyset(col(Cost.recorded_at), col(Cost.id), descending=True)


async def _public(read) -> CostPublic:
    return service.public(await read)


@router.post("/costs", dependencies=[needs("registry:write")], status_code=status.HTTP_201_CREATED,
             response_model=CostPublic,
             summary="Record a remediation cost against a delivered service (district operators, or the provider "
                     "that delivered it) or an activity (district operators)")
async def record_cost(data: CostIn, response: Response, session: SessionDep, principal: PrincipalDep,
                      clock: ClockDep, idempotency_key: IdempotencyKey = None) -> CostPublic:
    async def create(new: uuid.UUID) -> CostPublic:
        return await service.record(session, data, principal=principal, now=clock.now(), cost_id=new)

    cost = await idempotency.once(
        session, response, principal=principal, key=idempotency_key, route="POST /api/v1/costs", body=data,
        now=clock.now(), create=create,
        replay=lambda earlier: _public(service.read(session, earlier, principal)))
    response.headers["Location"] = f"/api/v1/costs/{cost.id}"
    return cost


@router.get("/costs/{cost_id}", dependencies=[needs("registry:read")], response_model=CostPublic)
async def read_cost(cost_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> CostPublic:
    return service.public(await service.read(session, cost_id, principal))


@router.get("/costs", dependencies=[needs("registry:read")], response_model=CostPage,
            summary="Costs the caller may see, newest first: a kabupaten's for its operators, an organisation's "
                    "own for its staff")
async def list_costs(session: SessionDep, principal: PrincipalDep,
                     village_code: Annotated[str | None, Query(pattern=VILLAGE_CODE)] = None,
                     spent_from: date | None = None, spent_to: date | None = None, limit: Limit = 50,
                     cursor: Cursor = None) -> CostPage:
    query = select(Cost).where(service.visible(principal))
    if village_code:
        query = query.where(Cost.village_code == village_code)
    if spent_from:
        query = query.where(col(Cost.spent_on) >= spent_from)
    if spent_to:
        query = query.where(col(Cost.spent_on) <= spent_to)
    rows = list((await session.exec(ORDER.query(query, cursor=cursor, limit=limit))).all())
    return CostPage(items=[service.public(c) for c in rows[:limit]], next_cursor=ORDER.next_cursor(rows, limit))
