"""Recording a desa's institutions, changing them with history, and the desa's readiness."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from registry import access
from registry.institutions.models import Institution, InstitutionHistory
from registry.institutions.schemas import (
    InstitutionCreate,
    InstitutionPublic,
    MemberCount,
    NamedMember,
    Readiness,
    ReadinessItem,
    check,
)
from registry.places import repository as places
from sprpa_contracts.events import InstitutionChanged
from sprpa_contracts.vocabulary import InstitutionStatus, InstitutionType
from sprpa_shared.auth.principal import Principal
from sprpa_shared.errors import NotFound, ValidationFailed
from sprpa_shared.events.outbox import emit

FORMED = (InstitutionStatus.FORMED, InstitutionStatus.DECREED, InstitutionStatus.ACTIVE)
EXPECTED = tuple(kind for kind in InstitutionType if kind is not InstitutionType.OTHER)


def member_total(institution: Institution) -> int:
    named = json.loads(institution.named_members) if institution.named_members else []
    return sum(member["count"] for member in institution.members) + len(named)


def public(institution: Institution) -> InstitutionPublic:
    named = json.loads(institution.named_members) if institution.named_members else []
    return InstitutionPublic(
        **institution.model_dump(exclude={"members", "named_members", "regency_code", "created_at", "updated_by"}),
        members=[MemberCount(**m) for m in institution.members], member_total=member_total(institution),
        named_members=[NamedMember(**m) for m in named])


async def _changed(session: AsyncSession, institution: Institution, *, from_status: str | None,
                   principal: Principal, now: datetime) -> None:
    members = member_total(institution)
    session.add(InstitutionHistory(institution_id=institution.id, at=now, actor=principal.subject,
                                   from_status=from_status, to_status=institution.status,
                                   decree_number=institution.decree_number, decreed_on=institution.decreed_on,
                                   members=members))
    await emit(session, InstitutionChanged(institution_id=institution.id, village_code=institution.village_code,
                                           type=institution.type, status=institution.status,
                                           decreed_on=institution.decreed_on, members=members,
                                           changed_on=now.date()), at=now)


async def create(session: AsyncSession, village_code: str, data: InstitutionCreate, *, principal: Principal,
                 now: datetime, institution_id: uuid.UUID) -> Institution:
    access.require_write_in(principal, village_code)
    if not await places.is_village(session, village_code):
        raise ValidationFailed(f"{village_code} is not an official desa/kelurahan", field="village_code")
    institution = Institution(
        id=institution_id, village_code=village_code, type=data.type, name=data.name, status=data.status,
        formed_on=data.formed_on, decree_number=data.decree_number, decreed_on=data.decreed_on,
        members=[m.model_dump(mode="json") for m in data.members],
        named_members=json.dumps([m.model_dump(mode="json") for m in data.named_members]) if data.named_members
        else None,
        created_at=now, updated_at=now, updated_by=principal.subject)
    session.add(institution)
    await _changed(session, institution, from_status=None, principal=principal, now=now)
    return institution


async def readable(session: AsyncSession, institution_id: uuid.UUID, principal: Principal, *,
                   for_update: bool = False) -> Institution:
    query = select(Institution).where(Institution.id == institution_id)
    institution = (await session.exec(query.with_for_update() if for_update else query)).first()
    if institution is None or not access.can_read_place(principal, institution.village_code):
        raise NotFound("no such institution")
    return institution


async def update(session: AsyncSession, institution: Institution, changes: dict, *, principal: Principal,
                 now: datetime) -> Institution:
    access.require_write_in(principal, institution.village_code)
    merged = {**public(institution).model_dump(), **changes}
    try:
        check(institution.type, merged["status"], merged["decree_number"], merged["decreed_on"],
              [MemberCount(**m) if isinstance(m, dict) else m for m in merged["members"]], merged["formed_on"])
    except ValueError as error:
        raise ValidationFailed(str(error)) from error
    from_status = institution.status
    for field in ("name", "status", "formed_on", "decree_number", "decreed_on"):
        if field in changes:
            setattr(institution, field, changes[field])
    if "members" in changes:
        institution.members = [MemberCount.model_validate(m).model_dump(mode="json") for m in changes["members"]]
    if "named_members" in changes:
        named = [NamedMember.model_validate(m).model_dump(mode="json") for m in changes["named_members"]]
        institution.named_members = json.dumps(named) if named else None
    institution.version += 1
    institution.updated_at, institution.updated_by = now, principal.subject
    session.add(institution)
    await _changed(session, institution, from_status=from_status, principal=principal, now=now)
    return institution


async def of_village(session: AsyncSession, village_code: str, principal: Principal) -> list[Institution]:
    if not access.can_read_place(principal, village_code):
        raise NotFound("no such desa in your area")
    return list((await session.exec(select(Institution).where(Institution.village_code == village_code)
                                    .order_by(col(Institution.type), col(Institution.created_at)))).all())


async def history_of(session: AsyncSession, institution_id: uuid.UUID) -> list[InstitutionHistory]:
    return list((await session.exec(select(InstitutionHistory).where(
        InstitutionHistory.institution_id == institution_id).order_by(col(InstitutionHistory.id)))).all())


def readiness(village_code: str, institutions: list[Institution]) -> Readiness:
    """Per type of the fixed list, the most advanced institution of that type in the desa."""
    rank = {status: i for i, status in enumerate(InstitutionStatus)}
    items = []
    for kind in EXPECTED:
        own = [i for i in institutions if i.type == kind]
        best = max(own, key=lambda i: (i.status in FORMED, i.status == InstitutionStatus.ACTIVE,
                                       i.decree_number is not None, rank[InstitutionStatus(i.status)]),
                   default=None)
        items.append(ReadinessItem(type=kind, exists=best is not None and best.status in FORMED,
                                   status=best.status if best else None,
                                   decreed=best is not None and best.decree_number is not None,
                                   active=best is not None and best.status == InstitutionStatus.ACTIVE))
    return Readiness(village_code=village_code, institutions=items, formed=sum(i.exists for i in items),
                     decreed=sum(i.decreed for i in items), active=sum(i.active for i in items),
                     ready=all(i.active for i in items))
