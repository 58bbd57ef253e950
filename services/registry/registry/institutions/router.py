"""A desa's institutions, their changes, and the desa's readiness."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from registry.children.schemas import VILLAGE_CODE
from registry.institutions import service
from registry.institutions.models import Institution
from registry.institutions.schemas import (
    InstitutionChange,
    InstitutionCreate,
    InstitutionHistoryList,
    InstitutionList,
    InstitutionPublic,
    InstitutionUpdate,
    Readiness,
)
from sprpa_shared import concurrency, idempotency
from sprpa_shared.concurrency import IfMatch
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.idempotency import IdempotencyKey

router = APIRouter(prefix="/api/v1", tags=["institutions"])
VillageCode = Annotated[str, Path(pattern=VILLAGE_CODE)]


def _answer(response: Response, institution: Institution) -> InstitutionPublic:
    response.headers["ETag"] = concurrency.etag(institution.version)
    return service.public(institution)


@router.post("/villages/{village_code}/institutions", dependencies=[needs("registry:write")],
             status_code=status.HTTP_201_CREATED, response_model=InstitutionPublic,
             summary="Record a village institution (GTDLA, PATBM, Forum Anak Desa, DRPPA, PKM, SPRPA team)")
async def create_institution(village_code: VillageCode, data: InstitutionCreate, response: Response,
                             session: SessionDep, principal: PrincipalDep, clock: ClockDep,
                             idempotency_key: IdempotencyKey = None) -> InstitutionPublic:
    async def create(new: uuid.UUID) -> Institution:
        return await service.create(session, village_code, data, principal=principal, now=clock.now(),
                                    institution_id=new)

    institution = await idempotency.once(
        session, response, principal=principal, key=idempotency_key,
        route=f"POST /api/v1/villages/{village_code}/institutions", body=data, now=clock.now(), create=create,
        replay=lambda earlier: service.readable(session, earlier, principal))
    response.headers["Location"] = f"/api/v1/institutions/{institution.id}"
    return _answer(response, institution)


@router.get("/villages/{village_code}/institutions", dependencies=[needs("registry:read")],
            response_model=InstitutionList, summary="The desa's institutions")
async def list_institutions(village_code: VillageCode, session: SessionDep,
                            principal: PrincipalDep) -> InstitutionList:
    return InstitutionList(items=[service.public(i) for i in await service.of_village(session, village_code,
                                                                                        principal)])


@router.get("/villages/{village_code}/readiness", dependencies=[needs("registry:read")], response_model=Readiness,
            summary="Which of the desa's institutions exist, are decreed and are active")
async def village_readiness(village_code: VillageCode, session: SessionDep, principal: PrincipalDep) -> Readiness:
    return service.readiness(village_code, await service.of_village(session, village_code, principal))


@router.get("/institutions/{institution_id}", dependencies=[needs("registry:read")],
            response_model=InstitutionPublic)
async def read_institution(institution_id: uuid.UUID, response: Response, session: SessionDep,
                           principal: PrincipalDep) -> InstitutionPublic:
    return _answer(response, await service.readable(session, institution_id, principal))


@router.patch("/institutions/{institution_id}", dependencies=[needs("registry:write")],
              response_model=InstitutionPublic,
              summary="Change an institution (its status, decree, members, name); kept in its history. Needs "
                      "If-Match with its ETag")
async def update_institution(institution_id: uuid.UUID, data: InstitutionUpdate, response: Response,  # type: ignore[valid-type]
                             session: SessionDep, principal: PrincipalDep, clock: ClockDep,
                             if_match: IfMatch = None) -> InstitutionPublic:
    institution = await service.readable(session, institution_id, principal, for_update=True)
    concurrency.require_match(if_match, institution.version, what="institution")
    changes = data.model_dump(exclude_unset=True)  # type: ignore[attr-defined]
    return _answer(response, await service.update(session, institution, changes, principal=principal,
                                                  now=clock.now()))


@router.get("/institutions/{institution_id}/history", dependencies=[needs("registry:read")],
            response_model=InstitutionHistoryList, summary="Every change of the institution, oldest first")
async def institution_history(institution_id: uuid.UUID, session: SessionDep,
                              principal: PrincipalDep) -> InstitutionHistoryList:
    institution = await service.readable(session, institution_id, principal)
    return InstitutionHistoryList(items=[InstitutionChange(**h.model_dump()) for h in
                                         await service.history_of(session, institution.id)])
