"""Registering organisations and their MOUs, each change an event for the referral engine's replica."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from providers.mous.models import Mou
from providers.organizations.models import Organization
from providers.organizations.schemas import (
    MouCreate,
    MouPublic,
    MouRenewal,
    MouTermination,
    OrganizationCreate,
    OrganizationUpdate,
)
from sprpa_contracts.eligibility import MouTerms, status_on
from sprpa_contracts.events import MouChanged, OrganizationUpserted
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from sprpa_shared.events.outbox import emit
from sprpa_shared.ids import new_id
from sprpa_shared.regions import normalise


async def _regency_exists(session: AsyncSession, code: str) -> bool:
    found = await (await session.connection()).execute(
        text("SELECT 1 FROM regions WHERE code = :code AND level = 2"), {"code": code})
    return found.first() is not None


async def _require_regencies(session: AsyncSession, codes: dict[str, str]) -> None:
    errors = [{"field": field, "message": f"{code} is not an official kabupaten/kota"}
              for field, code in codes.items() if not await _regency_exists(session, code)]
    if errors:
        raise ValidationFailed(f"invalid value for: {', '.join(e['field'] for e in errors)}", errors=errors)


_BACKBONE_HOLDER = text("SELECT id, name FROM organizations WHERE :code = ANY(backbone_for) AND id <> :id LIMIT 1")


async def _require_backbone_rights(session: AsyncSession, *, principal: Principal, organization_id: uuid.UUID,
                                   before: list[str], after: list[str]) -> None:
    """Naming (or un-naming) a kabupaten's backbone organisation is that kabupaten's decision, and a
    kabupaten has one at most: another organisation holding it must be taken off first."""
    for code in sorted(set(before) ^ set(after)):
        if principal.role is Role.INTEGRATION or not principal.covers_place(code):
            raise Forbidden(f"only the operators of {code} name its backbone organisation")
    connection = await session.connection()
    for code in sorted(set(after) - set(before)):
        await connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('backbone:' || :code))"), {"code": code})
        holder = (await connection.execute(_BACKBONE_HOLDER, {"code": code, "id": organization_id})).first()
        if holder is not None:
            raise Conflict(f"{holder.name!r} is the backbone organisation of {code}; take it off there first",
                           existing_id=str(holder.id))


async def backbone_of(session: AsyncSession, regency_code: str) -> Organization | None:
    query = select(Organization).where(text(":code = ANY(organizations.backbone_for)").bindparams(code=regency_code))
    return (await session.exec(query)).first()


async def name_backbone(session: AsyncSession, *, regency_code: str, organization_id: uuid.UUID | None,
                        principal: Principal, now: datetime) -> Organization | None:
    """The kabupaten's backbone organisation (the one a need goes to when no MOU provider takes it),
    changed in one transaction: the old one is taken off and the new one named, each announced."""
    if principal.role not in (Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN) or not principal.covers_place(regency_code):
        raise Forbidden(f"only the operators of {regency_code} name its backbone organisation")
    await _require_regencies(session, {"regency_code": regency_code})
    await (await session.connection()).execute(text("SELECT pg_advisory_xact_lock(hashtext('backbone:' || :code))"),
                                               {"code": regency_code})
    chosen = await get_organization(session, organization_id, lock=True) if organization_id else None
    if chosen is not None and chosen.regency_code != regency_code:
        raise ValidationFailed("the backbone is an organisation of the kabupaten", field="organization_id")
    holder = await backbone_of(session, regency_code)
    if holder is not None and chosen is not None and holder.id == chosen.id:
        return chosen
    for organization, backbone_for in (
            (holder, [code for code in holder.backbone_for if code != regency_code] if holder else None),
            (chosen, [*chosen.backbone_for, regency_code] if chosen else None)):
        if organization is None or backbone_for is None:
            continue
        organization.backbone_for = backbone_for
        organization.version += 1
        organization.updated_at = now
        session.add(organization)
        await session.flush()
        await _announce(session, organization, now)
    return chosen


async def create_organization(session: AsyncSession, *, data: OrganizationCreate, principal: Principal,
                              now: datetime, organization_id: uuid.UUID | None = None) -> Organization:
    await _require_regencies(session, {"regency_code": data.regency_code,
                                       **{f"backbone_for.{i}": c for i, c in enumerate(data.backbone_for)}})
    organization_id = organization_id or new_id()
    await _require_backbone_rights(session, principal=principal, organization_id=organization_id, before=[],
                                   after=data.backbone_for)
    key = normalise(data.name)
    existing = (await session.exec(select(Organization).where(
        Organization.regency_code == data.regency_code, Organization.name_key == key))).first()
    if existing is not None:
        raise Conflict(f"{existing.name!r} is already registered in {data.regency_code}", existing_id=str(existing.id))
    organization = Organization(
        id=organization_id, name=data.name, name_key=key, kind=data.kind.value, regency_code=data.regency_code,
        contacts=data.contacts.model_dump(exclude_none=True), backbone_for=data.backbone_for,
        created_at=now, updated_at=now, created_by=principal.subject,
    )
    session.add(organization)
    await session.flush()
    await _announce(session, organization, now)
    return organization


async def update_organization(session: AsyncSession, *, organization: Organization, data: OrganizationUpdate,
                              principal: Principal, now: datetime) -> Organization:
    changes = data.model_dump(exclude_unset=True, mode="json")
    if changes.get("backbone_for") is not None:
        await _require_regencies(session, {f"backbone_for.{i}": c for i, c in enumerate(changes["backbone_for"])})
        await _require_backbone_rights(session, principal=principal, organization_id=organization.id,
                                       before=organization.backbone_for, after=changes["backbone_for"])
    if "name" in changes:
        key = normalise(changes["name"])
        clash = (await session.exec(select(Organization).where(
            Organization.regency_code == organization.regency_code, Organization.name_key == key,
            Organization.id != organization.id))).first()
        if clash is not None:
            raise Conflict(f"{clash.name!r} is already registered in {organization.regency_code}",
                           existing_id=str(clash.id))
        organization.name_key = key
    for field, value in changes.items():
        setattr(organization, field, value)
    organization.version += 1
    organization.updated_at = now
    session.add(organization)
    await _announce(session, organization, now)
    return organization


async def get_organization(session: AsyncSession, organization_id: uuid.UUID, *, lock: bool = False) -> Organization:
    organization = await session.get(Organization, organization_id, with_for_update=lock)
    if organization is None:
        raise NotFound("no such organisation")
    return organization


def terms(mou: Mou) -> MouTerms:
    return MouTerms(regency_code=mou.regency_code, signed_date=mou.signed_date, valid_from=mou.valid_from,
                    valid_until=mou.valid_until, service_categories=frozenset(mou.service_categories),
                    terminated_on=mou.terminated_on)


def mou_public(mou: Mou, now: datetime) -> MouPublic:
    return MouPublic(**mou.model_dump(), status=status_on(terms(mou), now.date()).value)


async def _changed(session: AsyncSession, mou: Mou, now: datetime) -> None:
    await emit(session, MouChanged(
        mou_id=mou.id, organization_id=mou.organization_id, regency_code=mou.regency_code,
        signed_date=mou.signed_date, valid_from=mou.valid_from, valid_until=mou.valid_until,
        terminated_on=mou.terminated_on, service_categories=mou.service_categories,
        status=status_on(terms(mou), now.date()).value, as_of=now.date(),
    ), at=now)


async def sign_mou(session: AsyncSession, *, organization: Organization, data: MouCreate, principal: Principal,
                   now: datetime, mou_id: uuid.UUID | None = None) -> Mou:
    await _require_regencies(session, {"regency_code": data.regency_code})
    if data.signed_date and data.signed_date > now.date():
        raise ValidationFailed("an MOU cannot be signed in the future", field="signed_date")
    duplicate = (await session.exec(select(Mou).where(Mou.organization_id == organization.id,
                                                      Mou.number == data.number))).first()
    if duplicate is not None:
        raise Conflict(f"this organisation already has MOU {data.number!r}", existing_id=str(duplicate.id))
    mou = Mou(id=mou_id or new_id(), organization_id=organization.id, **data.model_dump(), created_at=now,
              created_by=principal.subject)
    session.add(mou)
    await session.flush()
    await _changed(session, mou, now)
    return mou


async def renew_mou(session: AsyncSession, *, organization: Organization, mou_id: uuid.UUID, data: MouRenewal,
                    principal: Principal, now: datetime, new_id_: uuid.UUID | None = None) -> Mou:
    """The MOU continued by a new one from the day after it ends (or from today, if it has already
    ended), for the same kabupaten and, unless changed, the same services. A terminated MOU is not
    renewed: the district signs a new one."""
    old = (await session.exec(select(Mou).where(Mou.id == mou_id, Mou.organization_id == organization.id)
                              .with_for_update())).first()
    if old is None:
        raise NotFound("no such MOU")
    if old.terminated_on is not None:
        raise Conflict("a terminated MOU is not renewed: record a new MOU", terminated_on=old.terminated_on.isoformat())
    if (await session.exec(select(Mou.id).where(Mou.renews_id == old.id))).first() is not None:
        raise Conflict("this MOU was already renewed")
    valid_from = max(old.valid_until + timedelta(days=1), now.date())
    if data.valid_until < valid_from:
        raise ValidationFailed(f"the renewal starts on {valid_from}: it must end after that", field="valid_until")
    renewal = await sign_mou(session, organization=organization, principal=principal, now=now, mou_id=new_id_,
                             data=MouCreate(number=data.number, regency_code=old.regency_code,
                                            signed_date=data.signed_date, valid_from=valid_from,
                                            valid_until=data.valid_until,
                                            service_categories=data.service_categories or old.service_categories))
    renewal.renews_id = old.id
    session.add(renewal)
    return renewal


async def mous_of(session: AsyncSession, organization_id: uuid.UUID) -> list[Mou]:
    query = select(Mou).where(Mou.organization_id == organization_id).order_by(col(Mou.valid_from), col(Mou.id))
    return list((await session.exec(query)).all())


async def terminate_mou(session: AsyncSession, *, organization: Organization, mou_id: uuid.UUID,
                        data: MouTermination, now: datetime) -> Mou:
    mou = (await session.exec(select(Mou).where(Mou.id == mou_id, Mou.organization_id == organization.id)
                              .with_for_update())).first()
    if mou is None:
        raise NotFound("no such MOU")
    if mou.terminated_on is not None:
        raise Conflict("the MOU is already terminated", terminated_on=mou.terminated_on.isoformat())
    if data.terminated_on < mou.valid_from:
        raise ValidationFailed("termination is before the MOU starts", field="terminated_on")
    mou.terminated_on, mou.termination_reason = data.terminated_on, data.reason
    session.add(mou)
    await _changed(session, mou, now)
    return mou


async def _announce(session: AsyncSession, organization: Organization, now: datetime) -> None:
    """`organization.upserted`: what the engine's replica and the reports need (no contact details)."""
    await emit(session, OrganizationUpserted(
        organization_id=organization.id, regency_code=organization.regency_code, organization_name=organization.name,
        kind=organization.kind, backbone_for=organization.backbone_for, version=organization.version), at=now)
