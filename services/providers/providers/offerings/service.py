"""Offerings: register, change capacity, remove, and search with the reasons for exclusions."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from providers.mous.models import Mou
from providers.offerings.models import Offering
from providers.offerings.schemas import OfferingCreate, OfferingPublic
from providers.organizations.service import get_organization, terms
from sprpa_contracts.eligibility import ChildNeed, OfferingTerms, exclusion_reasons
from sprpa_contracts.events import OfferingChanged
from sprpa_shared import concurrency
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.errors import Forbidden, NotFound
from sprpa_shared.events.outbox import emit
from sprpa_shared.ids import new_id


def require_offering_manager(principal: Principal, *, organization_id: uuid.UUID, regency_code: str) -> None:
    """National admins, the kabupaten's operators (and its directory system, an integration client
    with `providers:write`), and the organisation's own staff."""
    if principal.role is Role.PROVIDER_STAFF and principal.is_member_of(organization_id):
        return
    if principal.role in (Role.NATIONAL_ADMIN, Role.DISTRICT_OPERATOR, Role.INTEGRATION) \
            and principal.covers_place(regency_code):
        return
    raise Forbidden("only this organisation's staff or the kabupaten's operators may change its offerings")


def public(offering: Offering) -> OfferingPublic:
    return OfferingPublic(**offering.model_dump())


async def _changed(session: AsyncSession, offering: Offering, now: datetime) -> None:
    await emit(session, OfferingChanged(
        offering_id=offering.id, organization_id=offering.organization_id, regency_code=offering.regency_code,
        category=offering.category, service_area=offering.service_area, min_age=offering.min_age,
        max_age=offering.max_age, sexes=offering.sexes, capacity=offering.capacity,
        course_type=offering.course_type, languages=offering.languages, removed=offering.removed,
        version=offering.version,
    ), at=now)


async def create(session: AsyncSession, *, data: OfferingCreate, principal: Principal, now: datetime,
                 offering_id: uuid.UUID | None = None) -> Offering:
    await get_organization(session, data.organization_id)
    require_offering_manager(principal, organization_id=data.organization_id, regency_code=data.regency_code)
    offering = Offering(id=offering_id or new_id(), **data.model_dump(), created_at=now, updated_at=now)
    session.add(offering)
    await session.flush()
    await _changed(session, offering, now)
    return offering


async def get(session: AsyncSession, offering_id: uuid.UUID, *, lock: bool = False) -> Offering:
    query = select(Offering).where(Offering.id == offering_id, col(Offering.removed).is_(False))
    offering = (await session.exec(query.with_for_update() if lock else query)).first()
    if offering is None:
        raise NotFound("no such offering")
    return offering


async def _change(session: AsyncSession, *, offering_id: uuid.UUID, principal: Principal, now: datetime,
                  if_match: str | None = None, **changes) -> Offering:
    """Lock, authorise, check If-Match when given, apply, bump the version, and tell the engine's replica."""
    offering = await get(session, offering_id, lock=True)
    require_offering_manager(principal, organization_id=offering.organization_id,
                             regency_code=offering.regency_code)
    if if_match is not None:
        concurrency.require_match(if_match, offering.version, what="offering")
    for field, value in changes.items():
        setattr(offering, field, value)
    offering.updated_at = now
    offering.version += 1
    session.add(offering)
    await _changed(session, offering, now)
    return offering


async def set_capacity(session: AsyncSession, *, offering_id: uuid.UUID, capacity: int, principal: Principal,
                       now: datetime, if_match: str | None = None) -> Offering:
    return await _change(session, offering_id=offering_id, principal=principal, now=now, if_match=if_match,
                         capacity=capacity)


async def remove(session: AsyncSession, *, offering_id: uuid.UUID, principal: Principal, now: datetime) -> None:
    await _change(session, offering_id=offering_id, principal=principal, now=now, removed=True)


async def search(session: AsyncSession, *, regency_code: str, category: str | None, need: ChildNeed | None,
                 day: date) -> tuple[list[tuple[Offering, list[str]]], list[Offering]]:
    """(excluded offerings with their reasons, offerings that can take the need) in the kabupaten."""
    query = select(Offering).where(Offering.regency_code == regency_code, col(Offering.removed).is_(False))
    if category:
        query = query.where(Offering.category == category)
    offerings = list((await session.exec(query.order_by(col(Offering.name), col(Offering.id)))).all())
    organization_ids = list({o.organization_id for o in offerings})
    mous: dict[uuid.UUID, list] = {org: [] for org in organization_ids}
    for mou in (await session.exec(select(Mou).where(col(Mou.organization_id).in_(organization_ids),
                                                     Mou.regency_code == regency_code))).all():
        mous[mou.organization_id].append(terms(mou))
    excluded, eligible = [], []
    for offering in offerings:
        wanted = need or ChildNeed(category=offering.category, village_code=f"{regency_code}.00.0000")
        offer_terms = OfferingTerms(
            category=offering.category, regency_code=offering.regency_code,
            service_area=frozenset(offering.service_area), min_age=offering.min_age, max_age=offering.max_age,
            sexes=frozenset(offering.sexes), capacity=offering.capacity, open_referrals=offering.open_referrals,
        )
        reasons = exclusion_reasons(offer_terms, mous[offering.organization_id], wanted, day)
        if need is None:  # no child given: only the MOU and capacity decide
            reasons = [r for r in reasons if r.startswith("mou_") or r in ("no_mou", "no_capacity")]
        if reasons:
            excluded.append((offering, reasons))
        else:
            eligible.append(offering)
    return excluded, eligible
