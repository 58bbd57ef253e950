"""Registering and updating children: official places, NIK structure, classification, events."""

from __future__ import annotations

import functools
import uuid
from datetime import date, datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from registry import access
from registry.cases import history
from registry.cases.lifecycle import CaseStatus
from registry.children import events
from registry.children.models import Child, Household
from registry.children.nik import district_code_of
from registry.children.rules import age_on, rule_errors
from registry.children.schemas import ChildCreate, ChildPublic, ChildUpdate, HouseholdCreate
from registry.classification.rules import ChildFacts, Classification, Hazard, WorkFacts, WorstForm, classify
from registry.facilitators import service as facilitators
from registry.places import repository as places
from registry.visits.rules import next_visit_due
from sprpa_shared.auth.principal import Principal
from sprpa_shared.errors import NotFound, OutOfScope, ValidationFailed
from sprpa_shared.ids import new_id

SCHOOLING = frozenset({"in_school", "equivalency"})  # formal school, or a Kejar Paket programme


def classification_of(child: Child, today: date) -> Classification:
    return classify_fields(work=child.work, birth_date=child.birth_date, school_status=child.school_status,
                           mapping_categories=child.mapping_categories, today=today)


def classify_fields(*, work: dict | None, birth_date: date, school_status: str, mapping_categories: list[str],
                    today: date) -> Classification:
    work_facts = None if work is None else (
        work["hours_per_day"], work["hours_per_week"], work["night_work"], work["during_school_hours"],
        work["parental_consent"], tuple(sorted(work["hazards"])), tuple(sorted(work["worst_forms"])))
    return _classified(age_on(birth_date, today), work_facts, school_status not in SCHOOLING,
                       "at_risk" in mapping_categories)


@functools.lru_cache(maxsize=4096)
def _classified(age: int, work: tuple | None, out_of_school: bool, mapped_at_risk: bool) -> Classification:
    """Each distinct set of facts classified once (a survey repeats a few hundred): the result is
    immutable, and building the facts and their reasons was a tenth of validating an imported row."""
    return classify(ChildFacts(
        age=age,
        work=None if work is None else WorkFacts(
            *work[:5], hazards=frozenset(map(Hazard, work[5])), worst_forms=frozenset(map(WorstForm, work[6]))),
        out_of_school=out_of_school,
        mapped_at_risk=mapped_at_risk,
    ))


def as_dict(result: Classification) -> dict:
    return {
        "result": result.result.value,
        "rules_version": result.rules_version,
        "reasons": [{"code": reason.code, "text": reason.text} for reason in result.reasons],
    }


def reclassify(child: Child, today: date) -> None:
    child.classification = as_dict(classification_of(child, today))


def to_public(child: Child, today: date) -> ChildPublic:
    return ChildPublic(
        **child.model_dump(exclude={"created_by", "district_code", "regency_code"}),
        age=age_on(child.birth_date, today),
        district_code=child.village_code[:8],
        regency_code=child.village_code[:5],
        province_code=child.village_code[:2],
    )


async def _validate(session: AsyncSession, child: Child, today: date) -> None:
    """Every rule a stored child must satisfy, each failure naming its field."""
    nik_district = district_code_of(child.nik)
    errors = rule_errors(
        village_code=child.village_code,
        birth_date=child.birth_date,
        sex=child.sex,
        nik=child.nik,
        today=today,
        village_exists=await places.is_village(session, child.village_code),
        nik_district_exists=nik_district is not None and await places.exists(session, nik_district),
    )
    if child.household_id is not None:
        household = await session.get(Household, child.household_id)
        if household is None or household.village_code != child.village_code:
            errors.append({"field": "household_id", "message": "no such household in this desa"})
    if errors:
        fields = ", ".join(dict.fromkeys(error["field"] for error in errors))
        raise ValidationFailed(f"invalid value for: {fields}", errors=errors)


async def register(
    session: AsyncSession, *, data: ChildCreate, principal: Principal, now: datetime, child_id: uuid.UUID | None = None
) -> Child:
    today = now.date()
    child = Child(
        id=child_id or new_id(),
        **data.model_dump(mode="json", exclude={"birth_date", "household_id"}),
        birth_date=data.birth_date,
        household_id=data.household_id,
        classification={},
        status=CaseStatus.IDENTIFIED.value,
        next_visit_due=next_visit_due(last_visit=today, remediation_started=None),
        created_at=now,
        updated_at=now,
        created_by=principal.subject,
    )
    await _validate(session, child, today)
    reclassify(child, today)
    session.add(child)
    await session.flush()
    await history.record(session, child=child, principal=principal, now=now, from_status=None,
                         reason="registered")
    await events.announce_registered(session, child, now=now)
    return child


async def update(session: AsyncSession, *, child: Child, data: ChildUpdate, principal: Principal,
                 now: datetime) -> Child:
    changes = data.model_dump(mode="json", exclude_unset=True)
    moved = "village_code" in changes and changes["village_code"] != child.village_code
    if "birth_date" in changes:
        changes["birth_date"] = data.birth_date
    if "work" in changes:  # whole: unset fields of the new work take their defaults
        changes["work"] = data.work.model_dump(mode="json") if data.work else None
    for field, value in changes.items():
        setattr(child, field, value)
    await _validate(session, child, now.date())
    reclassify(child, now.date())
    child.version += 1
    child.updated_at = now
    session.add(child)
    if moved:
        await facilitators.release(session, child, now=now, by=principal.subject)
    await events.announce_update(session, child, changed=sorted(changes), now=now)
    return child


async def create_household(session: AsyncSession, *, data: HouseholdCreate, principal: Principal,
                           now: datetime, household_id: uuid.UUID | None = None) -> Household:
    if not await places.is_village(session, data.village_code):
        raise ValidationFailed(f"{data.village_code} is not an official desa/kelurahan", field="village_code")
    household = Household(id=household_id or new_id(), **data.model_dump(), created_at=now,
                          created_by=principal.subject)
    session.add(household)
    await session.flush()
    return household


async def get_household(session: AsyncSession, household_id: uuid.UUID, principal: Principal) -> Household:
    household = await session.get(Household, household_id)
    if household is None:
        raise NotFound("no such household")
    if not access.can_read_place(principal, household.village_code):
        raise OutOfScope("no such household", object_id=household.id)
    return household


async def find(session: AsyncSession, child_id: uuid.UUID) -> Child | None:
    return (await session.exec(select(Child).where(Child.id == child_id))).first()
