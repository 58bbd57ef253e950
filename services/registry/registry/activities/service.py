"""Recording activities and their sessions, and reading them within the caller's area."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from registry import access
from registry.activities.models import Activity, ActivitySession, SessionChild
from registry.activities.schemas import ActivityCreate, SessionCreate
from registry.children.models import Child
from registry.institutions.models import Institution
from registry.places import repository as places
from sprpa_contracts.events import ActivityRecorded, ActivitySessionRecorded
from sprpa_shared.auth.principal import Principal
from sprpa_shared.errors import Conflict, NotFound, ValidationFailed
from sprpa_shared.events.outbox import emit


async def create(session: AsyncSession, data: ActivityCreate, *, principal: Principal, now: datetime,
                 activity_id: uuid.UUID) -> Activity:
    """A cadre records an activity of their desa; a district operator, of any desa of the kabupaten."""
    access.require_write_in(principal, data.village_code)
    if not await places.is_village(session, data.village_code):
        raise ValidationFailed(f"{data.village_code} is not an official desa/kelurahan", field="village_code")
    if data.organiser_institution_id is not None:
        institution = await session.get(Institution, data.organiser_institution_id)
        if institution is None or institution.village_code != data.village_code:
            raise ValidationFailed("the organiser is no institution of this desa", field="organiser_institution_id")
    activity = Activity(id=activity_id, **data.model_dump(), created_at=now, created_by=principal.subject)
    session.add(activity)
    await emit(session, ActivityRecorded(activity_id=activity.id, village_code=activity.village_code,
                                         kind=activity.kind, recurring=activity.recurring,
                                         organiser_institution_id=activity.organiser_institution_id,
                                         organiser_organization_id=activity.organiser_organization_id), at=now)
    return activity


async def readable(session: AsyncSession, activity_id: uuid.UUID, principal: Principal, *,
                   for_update: bool = False) -> Activity:
    query = select(Activity).where(Activity.id == activity_id)
    activity = (await session.exec(query.with_for_update() if for_update else query)).first()
    if activity is None or not access.can_read_place(principal, activity.village_code):
        raise NotFound("no such activity")
    return activity


async def record_session(session: AsyncSession, activity: Activity, data: SessionCreate, *, principal: Principal,
                         now: datetime, session_id: uuid.UUID) -> tuple[ActivitySession, list[uuid.UUID]]:
    """One session's attendance. Registered children must be live records of the activity's desa (its
    register); a one-off activity has one session, a recurring one at most one a day."""
    access.require_write_in(principal, activity.village_code)
    if data.held_on > now.date():
        raise ValidationFailed("the session cannot be in the future", field="held_on")
    held = (await session.exec(select(ActivitySession.held_on).where(
        ActivitySession.activity_id == activity.id))).all()
    if held and not activity.recurring:
        raise Conflict("a one-off activity has one session; make the activity recurring for a group that meets "
                       "again", held_on=held[0].isoformat())
    if data.held_on in held:
        raise Conflict("this activity already has a session on that day", held_on=data.held_on.isoformat())
    if data.child_ids:
        found = (await session.exec(select(Child.id).where(
            col(Child.id).in_(data.child_ids), Child.village_code == activity.village_code,
            col(Child.merged_into).is_(None), col(Child.erased_at).is_(None)))).all()
        missing = sorted(str(child) for child in set(data.child_ids) - set(found))
        if missing:
            raise ValidationFailed("not children of this desa's register", errors=[
                {"field": "child_ids", "message": f"{child} is not a child of this desa's register"}
                for child in missing])
    anonymous = [count.model_dump(mode="json") for count in data.anonymous]
    record = ActivitySession(id=session_id, activity_id=activity.id, held_on=data.held_on, anonymous=anonymous,
                             anonymous_total=sum(count.count for count in data.anonymous), recorded_at=now,
                             recorded_by=principal.subject)
    session.add(record)
    await session.flush()
    session.add_all([SessionChild(session_id=record.id, child_id=child, held_on=data.held_on, kind=activity.kind)
                     for child in data.child_ids])
    await emit(session, ActivitySessionRecorded(
        activity_id=activity.id, village_code=activity.village_code, kind=activity.kind, session_id=record.id,
        held_on=record.held_on, anonymous=data.anonymous, child_ids=data.child_ids), at=now)
    return record, list(data.child_ids)


async def sessions_of(session: AsyncSession, activity_id: uuid.UUID) -> list[tuple[ActivitySession, list]]:
    records = (await session.exec(select(ActivitySession).where(ActivitySession.activity_id == activity_id)
                                  .order_by(col(ActivitySession.held_on)))).all()
    children = (await session.exec(select(SessionChild).where(
        col(SessionChild.session_id).in_([r.id for r in records])).order_by(col(SessionChild.child_id)))).all()
    by_session: dict[uuid.UUID, list[uuid.UUID]] = {r.id: [] for r in records}
    for row in children:
        by_session[row.session_id].append(row.child_id)
    return [(r, by_session[r.id]) for r in records]


async def session_counts(session: AsyncSession, activity_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = (await session.exec(select(ActivitySession.activity_id, func.count()).where(
        col(ActivitySession.activity_id).in_(activity_ids)).group_by(col(ActivitySession.activity_id)))).all()
    return dict(rows)
