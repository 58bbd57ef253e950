"""Service offerings, capacity, and search for people and the referral engine's operators."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from providers.offerings import service
from providers.offerings.schemas import CapacityUpdate, Excluded, OfferingCreate, OfferingPublic, SearchResult
from providers.organizations.schemas import REGENCY_CODE
from sprpa_contracts.eligibility import ChildNeed
from sprpa_shared import concurrency, idempotency
from sprpa_shared.concurrency import IfMatch
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.errors import ValidationFailed
from sprpa_shared.idempotency import IdempotencyKey

router = APIRouter(prefix="/api/v1/services", tags=["services"])
VILLAGE_CODE = r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"


@router.post("", dependencies=[needs("providers:write")],
             status_code=status.HTTP_201_CREATED, response_model=OfferingPublic,
             summary="Add a service an organisation offers in a kabupaten")
async def create(data: OfferingCreate, response: Response, session: SessionDep, principal: PrincipalDep,
                 clock: ClockDep, idempotency_key: IdempotencyKey = None) -> OfferingPublic:
    offering = await idempotency.once(
        session, response, principal=principal, key=idempotency_key, route="POST /api/v1/services", body=data,
        now=clock.now(), replay=lambda earlier: service.get(session, earlier),
        create=lambda new: service.create(session, data=data, principal=principal, now=clock.now(),
                                          offering_id=new))
    response.headers["Location"] = f"/api/v1/services/{offering.id}"
    response.headers["ETag"] = concurrency.etag(offering.version)
    return service.public(offering)


@router.get("", dependencies=[needs("providers:read")], response_model=SearchResult,
            summary="Offerings in a kabupaten under an active MOU, for a child's age, sex and desa if given")
async def search(
    session: SessionDep,
    _: PrincipalDep,
    clock: ClockDep,
    regency_code: Annotated[str, Query(pattern=REGENCY_CODE)],
    category: str | None = None,
    age: Annotated[int | None, Query(ge=0, le=17)] = None,
    sex: Literal["female", "male"] | None = None,
    village_code: Annotated[str | None, Query(pattern=VILLAGE_CODE)] = None,
    explain: bool = False,
) -> SearchResult:
    if village_code and not village_code.startswith(regency_code + "."):
        raise ValidationFailed("the desa is not in the kabupaten", field="village_code")
    need = None
    if category and village_code:
        need = ChildNeed(category=category, village_code=village_code, age=age, sex=sex)
    excluded, eligible = await service.search(session, regency_code=regency_code, category=category, need=need,
                                              day=clock.now().date())
    return SearchResult(
        items=[service.public(o) for o in eligible],
        excluded=[Excluded(offering=service.public(o), reasons=r) for o, r in excluded] if explain else None,
    )


@router.get("/{offering_id}", dependencies=[needs("providers:read")], response_model=OfferingPublic)
async def read(offering_id: uuid.UUID, response: Response, session: SessionDep, _: PrincipalDep) -> OfferingPublic:
    offering = await service.get(session, offering_id)
    response.headers["ETag"] = concurrency.etag(offering.version)
    return service.public(offering)


@router.put("/{offering_id}/capacity", dependencies=[needs("providers:write")], response_model=OfferingPublic,
            summary="How many open referrals the offering can hold (providers keep this current); with If-Match, "
                    "only if nobody changed it since you read it")
async def set_capacity(offering_id: uuid.UUID, data: CapacityUpdate, response: Response, session: SessionDep,
                       principal: PrincipalDep, clock: ClockDep, if_match: IfMatch = None) -> OfferingPublic:
    offering = await service.set_capacity(session, offering_id=offering_id, capacity=data.capacity,
                                          principal=principal, now=clock.now(), if_match=if_match)
    response.headers["ETag"] = concurrency.etag(offering.version)
    return service.public(offering)


@router.delete("/{offering_id}", dependencies=[needs("providers:write")],
               status_code=status.HTTP_204_NO_CONTENT, summary="Stop offering the service")
async def remove(offering_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, clock: ClockDep) -> None:
    await service.remove(session, offering_id=offering_id, principal=principal, now=clock.now())
