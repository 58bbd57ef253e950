"""Community activities of a desa, their sessions and who took part."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from sqlmodel import col, select

from registry import access
from registry.activities import service
from registry.activities.models import Activity, ActivitySession
from registry.activities.schemas import (
    ActivityCreate,
    ActivityPage,
    ActivityPublic,
    SessionCreate,
    SessionPage,
    SessionPublic,
)
from registry.children.schemas import VILLAGE_CODE
from sprpa_contracts.vocabulary import ActivityKind
from sprpa_shared import audit, idempotency
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.errors import NotFound
from sprpa_shared.idempotency import IdempotencyKey
from sprpa_shared.pagination import Cursor, Keyset, Limit

router = APIRouter(prefix="/api/v1", tags=["activities"])
ORDER = Keyset(col(Activity.created_at), col(Activity.id), descending=True)


def _public(activity: Activity, sessions: int) -> ActivityPublic:
    return ActivityPublic(**activity.model_dump(exclude={"regency_code", "created_by"}), sessions=sessions)


def _session(record: ActivitySession, child_ids: list[uuid.UUID]) -> SessionPublic:
    return SessionPublic(**record.model_dump(exclude={"recorded_by"}), child_ids=child_ids)


@router.post("/activities", dependencies=[needs("registry:write")], status_code=status.HTTP_201_CREATED,
             response_model=ActivityPublic,
             summary="Record a community activity of a desa (a one-off, or a recurring group activity)")
async def create_activity(data: ActivityCreate, response: Response, session: SessionDep, principal: PrincipalDep,
                          clock: ClockDep, idempotency_key: IdempotencyKey = None) -> ActivityPublic:
    async def create(new: uuid.UUID) -> Activity:
        return await service.create(session, data, principal=principal, now=clock.now(), activity_id=new)

    activity = await idempotency.once(
        session, response, principal=principal, key=idempotency_key, route="POST /api/v1/activities", body=data,
        now=clock.now(), create=create, replay=lambda earlier: service.readable(session, earlier, principal))
    response.headers["Location"] = f"/api/v1/activities/{activity.id}"
    return _public(activity, (await service.session_counts(session, [activity.id])).get(activity.id, 0))


@router.get("/activities", dependencies=[needs("registry:read")], response_model=ActivityPage,
            summary="Activities in the caller's area, newest first")
async def list_activities(
    request: Request, session: SessionDep, principal: PrincipalDep,
    village_code: Annotated[str | None, Query(pattern=VILLAGE_CODE)] = None,
    kind: ActivityKind | None = None, held_from: date | None = None, held_to: date | None = None,
    limit: Limit = 50, cursor: Cursor = None,
) -> ActivityPage:
    access.require_lister(principal)
    query = select(Activity).where(_area(principal))
    if village_code:
        query = query.where(Activity.village_code == village_code)
    if kind:
        query = query.where(Activity.kind == kind)
    if held_from or held_to:
        held = select(ActivitySession.activity_id)
        if held_from:
            held = held.where(ActivitySession.held_on >= held_from)
        if held_to:
            held = held.where(ActivitySession.held_on <= held_to)
        query = query.where(col(Activity.id).in_(held))
    rows = list((await session.exec(ORDER.query(query, cursor=cursor, limit=limit))).all())
    page = rows[:limit]
    counts = await service.session_counts(session, [a.id for a in page])
    return ActivityPage(items=[_public(a, counts.get(a.id, 0)) for a in page], next_cursor=ORDER.next_cursor(rows,
                                                                                                            limit))


def _area(principal):
    return access.area_filter(principal, Activity.village_code, Activity.regency_code)


@router.get("/activities/{activity_id}", dependencies=[needs("registry:read")], response_model=ActivityPublic)
async def read_activity(activity_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> ActivityPublic:
    activity = await service.readable(session, activity_id, principal)
    return _public(activity, (await service.session_counts(session, [activity.id])).get(activity.id, 0))


@router.post("/activities/{activity_id}/sessions", dependencies=[needs("registry:write")],
             status_code=status.HTTP_201_CREATED, response_model=SessionPublic,
             summary="Record a session's attendance: anonymous participants counted by sex and age band, and "
                     "the registered children of the desa who took part")
async def record_session(activity_id: uuid.UUID, data: SessionCreate, request: Request, response: Response,
                         session: SessionDep, principal: PrincipalDep, clock: ClockDep,
                         idempotency_key: IdempotencyKey = None) -> SessionPublic:
    activity = await service.readable(session, activity_id, principal, for_update=True)

    async def create(new: uuid.UUID) -> tuple[ActivitySession, list[uuid.UUID]]:
        return await service.record_session(session, activity, data, principal=principal, now=clock.now(),
                                            session_id=new)

    async def replay(earlier: uuid.UUID) -> tuple[ActivitySession, list[uuid.UUID]]:
        return next((r, ids) for r, ids in await service.sessions_of(session, activity.id) if r.id == earlier)

    record, child_ids = await idempotency.once(
        session, response, principal=principal, key=idempotency_key,
        route=f"POST /api/v1/activities/{activity.id}/sessions", body=data, now=clock.now(), create=create,
        replay=replay)
    await audit.record(session, principal=principal, request=request, at=clock.now(), child_ids=child_ids)
    response.headers["Location"] = f"/api/v1/activities/{activity.id}/sessions/{record.id}"
    return _session(record, child_ids)


@router.get("/activities/{activity_id}/sessions", dependencies=[needs("registry:read")], response_model=SessionPage,
            summary="An activity's sessions, oldest first, with who took part (all on one page)")
async def list_sessions(activity_id: uuid.UUID, request: Request, session: SessionDep, principal: PrincipalDep,
                        clock: ClockDep) -> SessionPage:
    activity = await service.readable(session, activity_id, principal)
    sessions = await service.sessions_of(session, activity.id)
    await audit.record(session, principal=principal, request=request, at=clock.now(),
                       child_ids=list(dict.fromkeys(child for _, ids in sessions for child in ids)))
    return SessionPage(items=[_session(r, ids) for r, ids in sessions])


@router.get("/activities/{activity_id}/sessions/{session_id}", dependencies=[needs("registry:read")],
            response_model=SessionPublic, summary="One session of the activity, with who took part")
async def read_session(activity_id: uuid.UUID, session_id: uuid.UUID, request: Request, session: SessionDep,
                       principal: PrincipalDep, clock: ClockDep) -> SessionPublic:
    activity = await service.readable(session, activity_id, principal)
    found = [(r, ids) for r, ids in await service.sessions_of(session, activity.id) if r.id == session_id]
    if not found:
        raise NotFound("no such session of this activity")
    record, child_ids = found[0]
    await audit.record(session, principal=principal, request=request, at=clock.now(), child_ids=child_ids)
    return _session(record, child_ids)
