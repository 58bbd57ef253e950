"""Helpers for tests of the engine: a directory built from provider events and flagged cases.

Events are delivered through the service's own consumer path (`EventBus.deliver`: handler and
inbox row in one transaction), so a test sees exactly what the engine does with a real event.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from fastapi import FastAPI

from sprpa_contracts.catalogue import NeedPreferences
from sprpa_contracts.events import CaseFlagged, MouChanged, OfferingChanged, OrganizationUpserted
from sprpa_shared.events.envelope import Envelope, EventData
from sprpa_shared.testing.apps import database

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # Monday 10:00 in Jember (WIB)
JEMBER, WULUHAN, KESILIR = "35.09", "35.09.11", "35.09.11.2007"
COUNSELLING = "psychosocial.counselling"
SCHOOL = "education.formal_school"


async def deliver(app: FastAPI, data: EventData, *, at: datetime | None = None) -> Envelope:
    envelope = Envelope.wrap(data, time=at or app.state.clock.now())
    await app.state.bus.deliver(envelope)
    return envelope


class Directory:
    """The engine's replica of organisations, MOUs and offerings, as provider events build it."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def organization(self, *, backbone: bool = False, regency: str = JEMBER) -> uuid.UUID:
        organization_id = uuid.uuid4()
        await deliver(self.app, OrganizationUpserted(
            organization_id=organization_id, regency_code=regency, kind="ngo",
            backbone_for=[regency] if backbone else [], version=1))
        return organization_id

    async def mou(self, organization_id: uuid.UUID, categories: list[str], *, regency: str = JEMBER,
                  valid_until: date = date(2027, 12, 31), terminated_on: date | None = None,
                  signed: bool = True) -> uuid.UUID:
        mou_id = uuid.uuid4()
        await deliver(self.app, MouChanged(
            mou_id=mou_id, organization_id=organization_id, regency_code=regency,
            signed_date=date(2026, 1, 5) if signed else None, valid_from=date(2026, 1, 10), valid_until=valid_until,
            terminated_on=terminated_on, service_categories=categories, status="active", as_of=NOW.date()))
        return mou_id

    async def offering(self, organization_id: uuid.UUID, category: str = COUNSELLING, *, regency: str = JEMBER,
                       area: tuple[str, ...] = (), capacity: int = 5, min_age: int = 6, max_age: int = 17,
                       sexes: tuple[str, ...] = (), version: int = 1, offering_id: uuid.UUID | None = None,
                       removed: bool = False, course_type: str | None = None,
                       languages: tuple[str, ...] = ("id",)) -> uuid.UUID:
        offering_id = offering_id or uuid.uuid4()
        await deliver(self.app, OfferingChanged(
            offering_id=offering_id, organization_id=organization_id, regency_code=regency, category=category,
            service_area=list(area), min_age=min_age, max_age=max_age, sexes=list(sexes), capacity=capacity,
            removed=removed, version=version, course_type=course_type, languages=list(languages)))
        return offering_id

    async def provider(self, category: str = COUNSELLING, **offering) -> tuple[uuid.UUID, uuid.UUID]:
        """An organisation with an active MOU for the category and one offering: (organisation, offering)."""
        organization_id = await self.organization()
        await self.mou(organization_id, [category])
        return organization_id, await self.offering(organization_id, category, **offering)


def flagged(*, needs: tuple[str, ...] = (COUNSELLING,), child_id: uuid.UUID | None = None, age: int = 14,
            sex: str = "female", village: str = KESILIR, consent: bool = True,
            scope: tuple[str, ...] = ("share_with_mou_providers",),
            preferences: dict[str, NeedPreferences] | None = None) -> CaseFlagged:
    return CaseFlagged(child_id=child_id or uuid.uuid4(), flag_id=uuid.uuid4(),
                       consent_id=uuid.uuid4() if consent else None, consent_scope=list(scope) if consent else [],
                       village_code=village, age=age, sex=sex, classification="child_labour", needs=list(needs),
                       preferences=preferences or {})


async def referrals_of_child(app: FastAPI, child_id: uuid.UUID) -> list:
    """Every referral row of the child, oldest offer first."""
    async with database(app) as db:
        return await db.fetch("SELECT * FROM referrals WHERE child_id = $1 ORDER BY offered_at, id", child_id)
