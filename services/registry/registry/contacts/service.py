"""Setting a desa's contact person, and the routes to a family a provider may see."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from registry import access
from registry.cases.models import Consent
from registry.cases.service import SHARE_GUARDIAN_CONTACT
from registry.contacts.models import VillageContact
from registry.contacts.schemas import RouteToFamily, VillageContactIn
from registry.places import repository as places
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.errors import Forbidden, NotFound, ValidationFailed


async def set_contact(session: AsyncSession, *, village_code: str, data: VillageContactIn, principal: Principal,
                      now: datetime) -> VillageContact:
    """The district (or the desa's own cadre) names who providers call for its families."""
    access.require_write_in(principal, village_code)
    if principal.role is Role.INTEGRATION:
        raise Forbidden("a person of the district names the desa's contact")
    if not await places.is_village(session, village_code):
        raise ValidationFailed(f"{village_code} is not an official desa/kelurahan", field="village_code")
    contact = await session.get(VillageContact, village_code, with_for_update=True)
    if contact is None:
        contact = VillageContact(village_code=village_code, version=0, **data.model_dump(), updated_at=now,
                                 updated_by=principal.subject)
    else:
        for field, value in data.model_dump().items():
            setattr(contact, field, value)
    contact.version += 1
    contact.updated_at, contact.updated_by = now, principal.subject
    session.add(contact)
    return contact


async def get_contact(session: AsyncSession, village_code: str, principal: Principal) -> VillageContact:
    if not access.can_read_place(principal, village_code):
        raise NotFound("no contact for this desa")
    contact = await session.get(VillageContact, village_code)
    if contact is None:
        raise NotFound("no contact for this desa")
    return contact


async def routes_to_family(session: AsyncSession, child_id: uuid.UUID, village_code: str) -> list[RouteToFamily]:
    """What a provider holding a live referral sees to reach the family: the desa's contact person,
    then the guardian when the consent in force covers sharing their contact."""
    routes = []
    contact = await session.get(VillageContact, village_code)
    if contact is not None:
        routes.append(RouteToFamily(route=contact.function, name=contact.name, phone=contact.phone))
    consent = (await session.exec(select(Consent).where(
        Consent.child_id == child_id, col(Consent.withdrawn_on).is_(None), col(Consent.expired_at).is_(None))
        .order_by(col(Consent.recorded_at).desc()).limit(1))).first()
    if consent is not None and SHARE_GUARDIAN_CONTACT in consent.scope and consent.given_by:
        routes.append(RouteToFamily(route="guardian", name=consent.given_by, phone=consent.guardian_phone,
                                    relation=consent.relation))
    return routes
