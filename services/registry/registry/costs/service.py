"""Recording a cost and listing costs within the caller's reach."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import ColumnElement, and_, false, text
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from registry import access
from registry.activities.models import Activity
from registry.children.models import ProviderAccess
from registry.costs.models import Cost
from sprpa_contracts.events import CostRecorded
from sprpa_contracts.vocabulary import FundingSource
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.errors import Forbidden, NotFound, ValidationFailed
from sprpa_shared.events.outbox import emit
from sprpa_shared.pagination import Page

SERVED = ("in_service", "completed")  # a service being or having been delivered


class CostIn(BaseModel):
    """A remediation cost, against one delivered service (its referral) or one activity."""

    model_config = ConfigDict(extra="forbid")

    amount_idr: int = Field(ge=1, le=10_000_000_000, description="whole rupiah")
    funding_source: FundingSource
    spent_on: date
    referral_id: uuid.UUID | None = None
    activity_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_target(self) -> CostIn:
        if (self.referral_id is None) == (self.activity_id is None):
            raise ValueError("give either referral_id (a delivered service) or activity_id")
        return self


class CostPublic(BaseModel):
    id: uuid.UUID
    village_code: str
    amount_idr: int
    funding_source: FundingSource
    spent_on: date
    referral_id: uuid.UUID | None
    child_id: uuid.UUID | None
    service_code: str | None
    organization_id: uuid.UUID | None
    activity_id: uuid.UUID | None
    recorded_at: datetime


class CostPage(Page[CostPublic]):
    pass


async def record(session: AsyncSession, data: CostIn, *, principal: Principal, now: datetime,
                 cost_id: uuid.UUID) -> CostPublic:
    if data.spent_on > now.date():
        raise ValidationFailed("the cost cannot be in the future", field="spent_on")
    values: dict = {"referral_id": None, "child_id": None, "service_code": None, "organization_id": None,
                    "activity_id": None}
    if data.referral_id is not None:
        referral = await session.get(ProviderAccess, data.referral_id)
        if referral is None or referral.status not in SERVED:
            raise ValidationFailed("no service delivered under this referral", field="referral_id")
        village = await _child_village(session, referral.child_id)
        if principal.role is Role.PROVIDER_STAFF:
            if not principal.is_member_of(referral.organization_id):
                raise ValidationFailed("no service delivered under this referral", field="referral_id")
        else:
            access.require_district_writer_of(principal, village)
        values |= {"referral_id": referral.referral_id, "child_id": referral.child_id, "service_code": referral.need,
                   "organization_id": referral.organization_id}
        kind = None
    else:
        activity = await session.get(Activity, data.activity_id)
        if activity is None or not access.can_read_place(principal, activity.village_code):
            raise ValidationFailed("no such activity", field="activity_id")
        access.require_district_writer_of(principal, activity.village_code)
        village, kind = activity.village_code, activity.kind
        values |= {"activity_id": activity.id, "organization_id": activity.organiser_organization_id}
    cost = Cost(id=cost_id, village_code=village, amount_idr=data.amount_idr,
                funding_source=data.funding_source.value, spent_on=data.spent_on, **values, recorded_at=now,
                recorded_by=principal.subject)
    session.add(cost)
    await emit(session, CostRecorded(cost_id=cost_id, village_code=village, amount_idr=data.amount_idr,
                                     funding_source=data.funding_source, spent_on=data.spent_on,
                                     referral_id=values["referral_id"], child_id=values["child_id"],
                                     service_code=values["service_code"], organization_id=values["organization_id"],
                                     activity_id=values["activity_id"], activity_kind=kind), at=now)
    return public(cost)


def public(cost: Cost) -> CostPublic:
    return CostPublic(**cost.model_dump(exclude={"regency_code", "recorded_by"}))


async def _child_village(session: AsyncSession, child_id: uuid.UUID) -> str:
    return (await (await session.connection()).execute(text("SELECT village_code FROM children WHERE id = :id"),
                                                       {"id": child_id})).scalar_one()


async def read(session: AsyncSession, cost_id: uuid.UUID, principal: Principal) -> Cost:
    cost = await session.get(Cost, cost_id)
    if cost is None or not _may_see(principal, cost):
        raise NotFound("no such cost")
    return cost


def _may_see(principal: Principal, cost: Cost) -> bool:
    if principal.role is Role.PROVIDER_STAFF:
        return cost.referral_id is not None and principal.is_member_of(cost.organization_id)
    return principal.role in access.DISTRICT and principal.covers_place(cost.village_code)


def visible(principal: Principal) -> ColumnElement[bool]:
    """District operators: their kabupaten's costs; provider staff: their organisation's, nothing else."""
    if principal.role is Role.PROVIDER_STAFF:
        if principal.organization_id is None:
            return false()
        return and_(col(Cost.referral_id).is_not(None), col(Cost.organization_id) == principal.organization_id)
    if principal.role in access.DISTRICT:
        return access.area_filter(principal, Cost.village_code, Cost.regency_code)
    raise Forbidden("costs are for district operators, and provider staff for their own; analysts read the "
                    "reports' totals")
