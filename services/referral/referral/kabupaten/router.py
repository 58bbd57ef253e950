"""`/api/v1/settings/{regency_code}`: the kabupaten's referral rules, how the engine fans out there."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from referral import access
from referral.kabupaten import service
from sprpa_shared import concurrency
from sprpa_shared.concurrency import IfMatch
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs

router = APIRouter(prefix="/api/v1/settings", tags=["settings"])
RegencyCode = Annotated[str, Path(pattern=r"^\d{2}\.\d{2}$", description="kabupaten/kota code, e.g. 35.09")]


class KabupatenRulesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parallel_offers: int = Field(ge=1, le=10, description="providers offered a need at the same time")
    sla_hours: int = Field(ge=1, le=720, description="hours a provider has to answer before the offer expires")
    weekends_count: bool = Field(description="whether Saturday and Sunday count toward the SLA")


class KabupatenRulesPublic(KabupatenRulesIn):
    regency_code: str
    customised: bool = Field(description="false: the service defaults apply")
    version: int = Field(description="the ETag's number: send it as If-Match to change the rules (0 before the "
                                     "district first set them)")


def _public(regency_code: str, rules: service.KabupatenRules) -> KabupatenRulesPublic:
    return KabupatenRulesPublic(regency_code=regency_code, parallel_offers=rules.parallel_offers,
                                sla_hours=rules.sla_hours, weekends_count=rules.weekends_count,
                                customised=rules.version > 0, version=rules.version)


@router.get("/{regency_code}", dependencies=[needs("referral:read")], response_model=KabupatenRulesPublic)
async def read(regency_code: RegencyCode, request: Request, response: Response, session: SessionDep,
               principal: PrincipalDep) -> KabupatenRulesPublic:
    access.require_district(principal, regency_code)
    rules = await service.rules_for(session, request.app.state.settings, regency_code)
    response.headers["ETag"] = concurrency.etag(rules.version)
    return _public(regency_code, rules)


@router.put("/{regency_code}", dependencies=[needs("referral:write")], response_model=KabupatenRulesPublic,
            summary="Set the kabupaten's fan-out; needs If-Match with the ETag you read (\"0\" before the first)")
async def change(regency_code: RegencyCode, data: KabupatenRulesIn, request: Request, response: Response,
                 session: SessionDep, principal: PrincipalDep, clock: ClockDep,
                 if_match: IfMatch = None) -> KabupatenRulesPublic:
    access.require_district(principal, regency_code)
    current = await service.rules_for(session, request.app.state.settings, regency_code, lock=True)
    concurrency.require_match(if_match, current.version, what="kabupaten's referral rules")
    rules = await service.change(session, regency_code=regency_code, principal=principal, now=clock.now(),
                                 rules=service.KabupatenRules(data.parallel_offers, data.sla_hours,
                                                              data.weekends_count))
    response.headers["ETag"] = concurrency.etag(rules.version)
    return _public(regency_code, rules)
