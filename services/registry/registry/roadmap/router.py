"""A desa's roadmap to a child-labour-free village, and the kabupaten's roadmaps for its dashboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from registry.children.schemas import VILLAGE_CODE
from registry.roadmap import service
from registry.roadmap.service import MilestoneIn, Roadmap
from sprpa_contracts.vocabulary import Milestone
from sprpa_shared.auth.principal import Principal
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.errors import NotFound
from sprpa_shared.pagination import Page

router = APIRouter(prefix="/api/v1", tags=["roadmap"])
VillageCode = Annotated[str, Path(pattern=VILLAGE_CODE)]


class Roadmaps(Page[Roadmap]):
    """Every desa of the kabupaten where the programme works (all on one page)."""

    regency_code: str


def _months(request: Request) -> int:
    return request.app.state.settings.roadmap_free_months


@router.get("/villages/{village_code}/roadmap", dependencies=[needs("registry:read")], response_model=Roadmap,
            summary="The desa's milestones toward a child-labour-free village and the status they give")
async def read_roadmap(village_code: VillageCode, request: Request, session: SessionDep, principal: PrincipalDep,
                       clock: ClockDep) -> Roadmap:
    return await service.roadmap(session, village_code, principal, today=clock.now().date(),
                                 free_months=_months(request))


@router.put("/villages/{village_code}/roadmap/{milestone}", dependencies=[needs("registry:write")],
            response_model=Roadmap,
            summary="Record (or, with reached_on null, take back) a milestone the district records: the roadmap "
                    "workshop, or integration into RPJMDes/musrenbang")
async def record_milestone(village_code: VillageCode, milestone: Milestone, data: MilestoneIn, request: Request,
                           session: SessionDep, principal: PrincipalDep, clock: ClockDep) -> Roadmap:
    await service.record(session, village_code, milestone, data, principal=principal, now=clock.now())
    return await service.roadmap(session, village_code, principal, today=clock.now().date(),
                                 free_months=_months(request))


def _require_kabupaten(principal: Principal, regency_code: str) -> None:
    if not principal.covers_place(regency_code):
        raise NotFound("no such kabupaten in your area")


@router.get("/roadmaps", dependencies=[needs("registry:read")], response_model=Roadmaps,
            summary="The roadmap of every desa of the kabupaten where the programme works")
async def kabupaten_roadmaps(regency_code: Annotated[str, Query(pattern=r"^\d{2}\.\d{2}$")], request: Request,
                             session: SessionDep, principal: PrincipalDep, clock: ClockDep) -> Roadmaps:
    _require_kabupaten(principal, regency_code)
    villages = await service.villages_of(session, regency_code)
    return Roadmaps(regency_code=regency_code, items=await service.roadmaps(
        session, villages, today=clock.now().date(), free_months=_months(request)))
