"""`/api/v1/hsds/...`: the directory in the Open Referral HSDS 3.0 API shape."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from providers import access
from providers.hsds import mapping
from providers.hsds.importer import HsdsImport, import_directory
from providers.mous.models import Mou
from providers.offerings.models import Offering
from providers.organizations.models import Organization
from sprpa_contracts.catalogue import CATALOGUE
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.errors import NotFound, ValidationFailed

router = APIRouter(prefix="/api/v1/hsds", tags=["hsds"])
Page = Annotated[int, Query(ge=1, le=100_000)]
PerPage = Annotated[int, Query(ge=1, le=200)]


@router.get("/", dependencies=[needs("providers:read")], summary="About this HSDS API")
async def about(_: PrincipalDep) -> dict:
    return {"version": "3.0", "profile": "https://sprpa.id/hsds-profile",
            "openapi_url": "https://github.com/openreferral/specification/tree/3.0"}


async def _mous(session: AsyncSession, organization_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Mou]]:
    found: dict[uuid.UUID, list[Mou]] = {org: [] for org in organization_ids}
    for mou in (await session.exec(select(Mou).where(col(Mou.organization_id).in_(organization_ids)))).all():
        found[mou.organization_id].append(mou)
    return found


async def _organizations(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, Organization]:
    rows = (await session.exec(select(Organization).where(col(Organization.id).in_(ids)))).all()
    return {org.id: org for org in rows}


async def _area_names(session: AsyncSession, offerings: list[Offering]) -> dict[str, str]:
    codes = sorted({code for o in offerings for code in (o.service_area or [o.regency_code])})
    rows = await (await session.connection()).execute(
        text("SELECT code, name FROM regions WHERE code = ANY(:codes)"), {"codes": codes})
    return {row.code: row.name for row in rows}


async def _full_services(session: AsyncSession, offerings: list[Offering], day) -> list[dict]:
    orgs = await _organizations(session, list({o.organization_id for o in offerings}))
    mous = await _mous(session, list(orgs))
    names = await _area_names(session, offerings)
    return [mapping.service(o, orgs[o.organization_id], mous[o.organization_id], day, names) for o in offerings]


def _offering_filter(search: str | None, taxonomy_term_id: str | None, organization_id: uuid.UUID | None,
                     modified_after: datetime | None):
    conditions = [col(Offering.removed).is_(False)]
    if search:
        conditions.append(col(Offering.name).ilike(f"%{search}%"))
    if taxonomy_term_id:
        code = mapping.code_of_term(taxonomy_term_id)
        if code is None:
            raise ValidationFailed("not a taxonomy term of this directory", field="taxonomy_term_id")
        conditions.append(Offering.category == code)
    if organization_id:
        conditions.append(Offering.organization_id == organization_id)
    if modified_after:
        conditions.append(col(Offering.updated_at) > modified_after)
    return conditions


class OfferingFilters:
    """The HSDS query parameters that select services (and their service_at_locations)."""

    def __init__(self, search: Annotated[str | None, Query(max_length=100)] = None,
                 taxonomy_term_id: str | None = None, organization_id: uuid.UUID | None = None,
                 modified_after: datetime | None = None) -> None:
        self.conditions = _offering_filter(search, taxonomy_term_id, organization_id, modified_after)

    async def page(self, session: AsyncSession, page: int, per_page: int) -> tuple[int, list[Offering]]:
        total = (await session.exec(select(func.count()).select_from(Offering).where(*self.conditions))).one()
        rows = await session.exec(select(Offering).where(*self.conditions).order_by(col(Offering.id))
                                  .offset((page - 1) * per_page).limit(per_page))
        return total, list(rows.all())


FiltersDep = Annotated[OfferingFilters, Depends()]


@router.get("/services", dependencies=[needs("providers:read")], summary="Services (one-to-one fields), paged")
async def services(session: SessionDep, _: PrincipalDep, clock: ClockDep, filters: FiltersDep, page: Page = 1,
                   per_page: PerPage = 50) -> dict:
    total, offerings = await filters.page(session, page, per_page)
    orgs = await _organizations(session, list({o.organization_id for o in offerings}))
    mous = await _mous(session, list(orgs))
    day = clock.now().date()
    contents = [mapping.service_summary(o, orgs[o.organization_id], mous[o.organization_id], day) for o in offerings]
    return mapping.page(contents, total=total, page_number=page, per_page=per_page)


@router.get("/services/{service_id}", dependencies=[needs("providers:read")], summary="One service, fully nested")
async def service(service_id: uuid.UUID, session: SessionDep, _: PrincipalDep, clock: ClockDep) -> dict:
    offering = (await session.exec(select(Offering).where(Offering.id == service_id,
                                                          col(Offering.removed).is_(False)))).first()
    if offering is None:
        raise NotFound("no such service")
    return (await _full_services(session, [offering], clock.now().date()))[0]


@router.get("/organizations", dependencies=[needs("providers:read")], summary="Organisations, paged")
async def organizations(session: SessionDep, _: PrincipalDep, page: Page = 1, per_page: PerPage = 50,
                        search: Annotated[str | None, Query(max_length=100)] = None) -> dict:
    conditions = [col(Organization.name).ilike(f"%{search}%")] if search else []
    total = (await session.exec(select(func.count()).select_from(Organization).where(*conditions))).one()
    rows = (await session.exec(select(Organization).where(*conditions).order_by(col(Organization.id))
                               .offset((page - 1) * per_page).limit(per_page))).all()
    return mapping.page([mapping.organization_summary(o) for o in rows], total=total, page_number=page,
                        per_page=per_page)


@router.get("/organizations/{organization_id}", dependencies=[needs("providers:read")],
            summary="One organisation with its services")
async def organization(organization_id: uuid.UUID, session: SessionDep, _: PrincipalDep, clock: ClockDep) -> dict:
    org = await session.get(Organization, organization_id)
    if org is None:
        raise NotFound("no such organisation")
    offerings = list((await session.exec(select(Offering).where(
        Offering.organization_id == org.id, col(Offering.removed).is_(False)).order_by(col(Offering.id)))).all())
    return mapping.organization(org, await _full_services(session, offerings, clock.now().date()))


@router.get("/service_at_locations", dependencies=[needs("providers:read")],
            summary="Where services are delivered (by area), paged")
async def service_at_locations(session: SessionDep, _: PrincipalDep, clock: ClockDep, filters: FiltersDep,
                               page: Page = 1, per_page: PerPage = 50) -> dict:
    total, offerings = await filters.page(session, page, per_page)
    documents = await _full_services(session, offerings, clock.now().date())
    return mapping.page([mapping.service_at_location(d) for d in documents], total=total, page_number=page,
                        per_page=per_page)


@router.get("/service_at_locations/{sal_id}", dependencies=[needs("providers:read")], summary="One service at location")
async def service_at_location(sal_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                              clock: ClockDep) -> dict:
    return mapping.service_at_location(await service(sal_id, session, principal, clock))


@router.post("/import", dependencies=[needs("providers:write")],
             summary="Import organisations and services from another directory's HSDS 3.0 documents")
async def import_hsds(data: HsdsImport, session: SessionDep, principal: PrincipalDep, clock: ClockDep) -> dict:
    access.require_manager_of(principal, data.regency_code)
    return await import_directory(session, data=data, principal=principal, now=clock.now())


@router.get("/taxonomies", dependencies=[needs("providers:read")],
            summary="The taxonomy of this directory: the service catalogue")
async def taxonomies(_: PrincipalDep) -> dict:
    return mapping.page([mapping.taxonomy()], total=1, page_number=1, per_page=1)


@router.get("/taxonomy_terms", dependencies=[needs("providers:read")], summary="Catalogue codes as taxonomy terms")
async def taxonomy_terms(_: PrincipalDep) -> dict:
    terms = [mapping.taxonomy_term(code) for code in CATALOGUE]
    return mapping.page(terms, total=len(terms), page_number=1, per_page=len(terms))
