"""Organisations and their MOUs with kabupaten."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

from providers import access
from providers.mous.models import Mou
from providers.organizations import service
from providers.organizations.models import Organization
from providers.organizations.schemas import (
    REGENCY_CODE,
    Kind,
    MouCreate,
    MouList,
    MouPublic,
    MouRenewal,
    MouTermination,
    OrganizationCreate,
    OrganizationPage,
    OrganizationPublic,
    OrganizationUpdate,
)
from sprpa_shared import concurrency, idempotency
from sprpa_shared.concurrency import IfMatch
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.errors import NotFound
from sprpa_shared.idempotency import IdempotencyKey
from sprpa_shared.pagination import Cursor, Keyset, Limit, UpdatedSince

router = APIRouter(prefix="/api/v1/organizations", tags=["organizations"])


def _etag(organization: Organization) -> str:
    return concurrency.etag(organization.version)


def _public(organization: Organization) -> OrganizationPublic:
    return OrganizationPublic(**organization.model_dump())


@router.post("", dependencies=[needs("providers:write")],
             status_code=status.HTTP_201_CREATED, response_model=OrganizationPublic,
             summary="Register a service provider; the same name twice in a kabupaten is refused")
async def create(data: OrganizationCreate, response: Response, session: SessionDep, principal: PrincipalDep,
                 clock: ClockDep, idempotency_key: IdempotencyKey = None) -> OrganizationPublic:
    access.require_manager_of(principal, data.regency_code)
    organization = await idempotency.once(
        session, response, principal=principal, key=idempotency_key, route="POST /api/v1/organizations", body=data,
        now=clock.now(), replay=lambda earlier: service.get_organization(session, earlier),
        create=lambda new: service.create_organization(session, data=data, principal=principal, now=clock.now(),
                                                       organization_id=new))
    response.headers["Location"] = f"/api/v1/organizations/{organization.id}"
    response.headers["ETag"] = _etag(organization)
    return _public(organization)


@router.get("", dependencies=[needs("providers:read")],
            response_model=OrganizationPage, summary="The directory, by kabupaten and kind; with `updated_since`, the "
                                                   "organisations changed since, oldest change first")
async def list_organizations(
    request: Request,
    session: SessionDep,
    _: PrincipalDep,
    regency_code: Annotated[str | None, Query(pattern=REGENCY_CODE)] = None,
    kind: Kind | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    updated_since: UpdatedSince = None,
) -> OrganizationPage:
    query = select(Organization)
    if regency_code:
        query = query.where(Organization.regency_code == regency_code)
    if kind:
        query = query.where(Organization.kind == kind.value)
    keyset = Keyset.listing(created=col(Organization.created_at), updated=col(Organization.updated_at),
                            id_=col(Organization.id), updated_since=updated_since)
    page, next_cursor = await keyset.read(session, query, request=request, cursor=cursor, limit=limit,
                                          updated_since=updated_since)
    return OrganizationPage(items=[_public(o) for o in page], next_cursor=next_cursor)


@router.get("/{organization_id}", dependencies=[needs("providers:read")], response_model=OrganizationPublic)
async def read(organization_id: uuid.UUID, response: Response, session: SessionDep,
               _: PrincipalDep) -> OrganizationPublic:
    organization = await service.get_organization(session, organization_id)
    response.headers["ETag"] = _etag(organization)
    return _public(organization)


@router.patch("/{organization_id}", dependencies=[needs("providers:write")], response_model=OrganizationPublic,
              summary="Change an organisation; needs If-Match with the ETag you read")
async def update(organization_id: uuid.UUID, data: OrganizationUpdate, response: Response, session: SessionDep,
                 principal: PrincipalDep, clock: ClockDep,
                 if_match: IfMatch = None) -> OrganizationPublic:
    organization = await service.get_organization(session, organization_id, lock=True)
    access.require_manager_of(principal, organization.regency_code)
    concurrency.require_match(if_match, organization.version, what="organisation")
    updated = await service.update_organization(session, organization=organization, data=data,
                                                 principal=principal, now=clock.now())
    response.headers["ETag"] = _etag(updated)
    return _public(updated)


@router.post("/{organization_id}/mous", dependencies=[needs("providers:write")],
             status_code=status.HTTP_201_CREATED, response_model=MouPublic,
             summary="Record an MOU between the organisation and a kabupaten")
async def sign(organization_id: uuid.UUID, data: MouCreate, response: Response, session: SessionDep,
               principal: PrincipalDep, clock: ClockDep, idempotency_key: IdempotencyKey = None) -> MouPublic:
    access.require_manager_of(principal, data.regency_code)
    organization = await service.get_organization(session, organization_id)
    mou = await idempotency.once(
        session, response, principal=principal, key=idempotency_key,
        route=f"POST /api/v1/organizations/{organization_id}/mous", body=data, now=clock.now(),
        replay=lambda earlier: session.get(Mou, earlier),
        create=lambda new: service.sign_mou(session, organization=organization, data=data, principal=principal,
                                            now=clock.now(), mou_id=new))
    response.headers["Location"] = f"/api/v1/organizations/{organization_id}/mous/{mou.id}"
    return service.mou_public(mou, clock.now())


@router.post("/{organization_id}/mous/{mou_id}/renew", dependencies=[needs("providers:write")],
             status_code=status.HTTP_201_CREATED, response_model=MouPublic,
             summary="Renew an MOU: a new one for the same kabupaten from the day after it ends")
async def renew(organization_id: uuid.UUID, mou_id: uuid.UUID, data: MouRenewal, response: Response,
                session: SessionDep, principal: PrincipalDep, clock: ClockDep,
                idempotency_key: IdempotencyKey = None) -> MouPublic:
    organization = await service.get_organization(session, organization_id)
    old = await session.get(Mou, mou_id)
    if old is None or old.organization_id != organization.id:
        raise NotFound("no such MOU")
    access.require_manager_of(principal, old.regency_code)
    mou = await idempotency.once(
        session, response, principal=principal, key=idempotency_key,
        route=f"POST /api/v1/organizations/{organization_id}/mous/{mou_id}/renew", body=data, now=clock.now(),
        replay=lambda earlier: session.get(Mou, earlier),
        create=lambda new: service.renew_mou(session, organization=organization, mou_id=mou_id, data=data,
                                             principal=principal, now=clock.now(), new_id_=new))
    response.headers["Location"] = f"/api/v1/organizations/{organization_id}/mous/{mou.id}"
    return service.mou_public(mou, clock.now())


@router.get("/{organization_id}/mous", dependencies=[needs("providers:read")],
            response_model=MouList, summary="MOUs with their status today (all on one page)")
async def list_mous(organization_id: uuid.UUID, session: SessionDep, _: PrincipalDep, clock: ClockDep) -> MouList:
    await service.get_organization(session, organization_id)
    return MouList(items=[service.mou_public(mou, clock.now())
                          for mou in await service.mous_of(session, organization_id)])


@router.get("/{organization_id}/mous/{mou_id}", dependencies=[needs("providers:read")], response_model=MouPublic,
            summary="One MOU with its status today")
async def read_mou(organization_id: uuid.UUID, mou_id: uuid.UUID, session: SessionDep, _: PrincipalDep,
                   clock: ClockDep) -> MouPublic:
    await service.get_organization(session, organization_id)
    mou = next((mou for mou in await service.mous_of(session, organization_id) if mou.id == mou_id), None)
    if mou is None:
        raise NotFound("no such MOU of this organisation")
    return service.mou_public(mou, clock.now())


@router.post("/{organization_id}/mous/{mou_id}/terminate", dependencies=[needs("providers:write")],
             response_model=MouPublic,
             summary="End an MOU early, with the reason")
async def terminate(organization_id: uuid.UUID, mou_id: uuid.UUID, data: MouTermination, session: SessionDep,
                    principal: PrincipalDep, clock: ClockDep) -> MouPublic:
    organization = await service.get_organization(session, organization_id)
    mous = {mou.id: mou for mou in await service.mous_of(session, organization_id)}
    if mou_id in mous:
        access.require_manager_of(principal, mous[mou_id].regency_code)
    mou = await service.terminate_mou(session, organization=organization, mou_id=mou_id, data=data,
                                      now=clock.now())
    return service.mou_public(mou, clock.now())


class Backbone(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organization_id: uuid.UUID | None = Field(description="an organisation of the kabupaten; null: none (an "
                                              "unmatched need then waits for the district)")


class BackbonePublic(Backbone):
    regency_code: str
    organization_name: str | None


backbones = APIRouter(prefix="/api/v1/backbones", tags=["organizations"])
RegencyCode = Annotated[str, Path(pattern=REGENCY_CODE)]


@backbones.get("/{regency_code}", dependencies=[needs("providers:read")], response_model=BackbonePublic,
               summary="The kabupaten's backbone organisation: where a need goes when no MOU provider takes it")
async def read_backbone(regency_code: RegencyCode, session: SessionDep, _: PrincipalDep) -> BackbonePublic:
    holder = await service.backbone_of(session, regency_code)
    return BackbonePublic(regency_code=regency_code, organization_id=holder.id if holder else None,
                          organization_name=holder.name if holder else None)


@backbones.put("/{regency_code}", dependencies=[needs("providers:write")], response_model=BackbonePublic,
               summary="Name the kabupaten's backbone organisation (the district's operators), or none")
async def name_backbone(regency_code: RegencyCode, data: Backbone, session: SessionDep, principal: PrincipalDep,
                        clock: ClockDep) -> BackbonePublic:
    chosen = await service.name_backbone(session, regency_code=regency_code, organization_id=data.organization_id,
                                         principal=principal, now=clock.now())
    return BackbonePublic(regency_code=regency_code, organization_id=chosen.id if chosen else None,
                          organization_name=chosen.name if chosen else None)
