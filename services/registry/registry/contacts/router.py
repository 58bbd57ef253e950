"""A desa's contact person: set by the district (or the desa's cadre), read within its area."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from registry.children.schemas import VILLAGE_CODE
from registry.contacts import service
from registry.contacts.schemas import VillageContactIn, VillageContactPublic
from sprpa_shared import audit, concurrency
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs

router = APIRouter(prefix="/api/v1", tags=["contacts"])
VillageCode = Annotated[str, Path(pattern=VILLAGE_CODE)]


def _public(contact) -> VillageContactPublic:
    return VillageContactPublic(**contact.model_dump(include={"village_code", "function", "name", "phone",
                                                              "version"}))


@router.put("/villages/{village_code}/contact", dependencies=[needs("registry:write")],
            response_model=VillageContactPublic,
            summary="Name the desa's cadre or facilitator whom providers call to reach the families referred")
async def set_contact(village_code: VillageCode, data: VillageContactIn, request: Request, response: Response,
                      session: SessionDep, principal: PrincipalDep, clock: ClockDep) -> VillageContactPublic:
    contact = await service.set_contact(session, village_code=village_code, data=data, principal=principal,
                                        now=clock.now())
    await audit.record(session, principal=principal, request=request, at=clock.now(), child_ids=[])
    response.headers["ETag"] = concurrency.etag(contact.version)
    return _public(contact)


@router.get("/villages/{village_code}/contact", dependencies=[needs("registry:read")],
            response_model=VillageContactPublic)
async def read_contact(village_code: VillageCode, response: Response, session: SessionDep,
                       principal: PrincipalDep) -> VillageContactPublic:
    contact = await service.get_contact(session, village_code, principal)
    response.headers["ETag"] = concurrency.etag(contact.version)
    return _public(contact)
