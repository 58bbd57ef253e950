"""Households and children: register, list within scope, read (audited), update with If-Match."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status
from sqlmodel import col, select

from registry import access
from registry.cases.lifecycle import CaseStatus
from registry.children import service
from registry.children.models import Child
from registry.children.schemas import (
    VILLAGE_CODE,
    ChildCreate,
    ChildCreated,
    ChildForProvider,
    ChildPage,
    ChildPublic,
    ChildUpdate,
    HouseholdCreate,
    HouseholdPublic,
    MergeRequest,
    PossibleDuplicate,
    PossibleDuplicates,
)
from registry.contacts import service as contacts
from registry.dependencies import ChildDep, ReadableChildDep
from registry.duplicates import service as duplicates
from sprpa_shared import audit, concurrency, idempotency
from sprpa_shared.auth.principal import Role
from sprpa_shared.concurrency import IfMatch
from sprpa_shared.db import transaction
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.idempotency import IdempotencyKey
from sprpa_shared.ids import new_id
from sprpa_shared.pagination import Cursor, Keyset, Limit, UpdatedSince

router = APIRouter(prefix="/api/v1", tags=["children"])


def etag(child: Child) -> str:
    return concurrency.etag(child.version)


@router.post("/households", dependencies=[needs("registry:write")],
             status_code=status.HTTP_201_CREATED, response_model=HouseholdPublic)
async def create_household(data: HouseholdCreate, request: Request, response: Response, session: SessionDep,
                           principal: PrincipalDep, clock: ClockDep,
                           idempotency_key: IdempotencyKey = None) -> HouseholdPublic:
    access.require_write_in(principal, data.village_code)
    household = await idempotency.once(
        session, response, principal=principal, key=idempotency_key, route="POST /api/v1/households", body=data,
        now=clock.now(), replay=lambda earlier: service.get_household(session, earlier, principal),
        create=lambda new: service.create_household(session, data=data, principal=principal, now=clock.now(),
                                                    household_id=new))
    response.headers["Location"] = f"/api/v1/households/{household.id}"
    response.headers["ETag"] = concurrency.etag(household.version)
    await audit.record(session, principal=principal, request=request, at=clock.now(), child_ids=[],
                       object_id=household.id)
    return HouseholdPublic(**household.model_dump())


@router.get("/households/{household_id}", dependencies=[needs("registry:read")], response_model=HouseholdPublic)
async def read_household(household_id: uuid.UUID, request: Request, response: Response, session: SessionDep,
                         principal: PrincipalDep, clock: ClockDep) -> HouseholdPublic:
    household = await service.get_household(session, household_id, principal)
    response.headers["ETag"] = concurrency.etag(household.version)
    await audit.record(session, principal=principal, request=request, at=clock.now(), child_ids=[],
                       object_id=household.id)
    return HouseholdPublic(**household.model_dump())


@router.post("/children", dependencies=[needs("registry:write")],
             status_code=status.HTTP_201_CREATED, response_model=ChildCreated,
             summary="Register a child of concern (classification is computed, never typed)")
async def register_child(
    data: ChildCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> ChildCreated:
    access.require_write_in(principal, data.village_code)
    now = clock.now()
    child_id = new_id()
    owner = await idempotency.claim(session, principal=principal, key=idempotency_key, route="POST /api/v1/children",
                                    body=data, resource_id=child_id, now=now)
    if owner is not None:
        existing = access.require_read(principal, await service.find(session, owner))
        response.headers["Idempotent-Replayed"] = "true"
        response.headers["ETag"] = etag(existing)
        await audit.record(session, principal=principal, request=request, child_ids=[existing.id], at=now)
        return await _created(session, existing, principal, now.date())
    child = await service.register(session, data=data, principal=principal, now=now, child_id=child_id)
    await audit.record(session, principal=principal, request=request, child_ids=[child.id], at=now)
    response.headers["ETag"] = etag(child)
    response.headers["Location"] = f"/api/v1/children/{child.id}"
    return await _created(session, child, principal, now.date())


async def _created(session, child: Child, principal, today) -> ChildCreated:
    found = await duplicates.find(session, child=child, principal=principal)
    return ChildCreated(
        **service.to_public(child, today).model_dump(),
        possible_duplicates=[PossibleDuplicate(child_id=d.child_id, score=d.score, reasons=list(d.reasons))
                             for d in found],
    )


@router.get("/children/{child_id}/duplicates", dependencies=[needs("registry:read")],
            response_model=PossibleDuplicates,
            summary="Records in your area that may be the same child, best first (all on one page)")
async def possible_duplicates(child: ChildDep, request: Request, session: SessionDep, principal: PrincipalDep,
                              clock: ClockDep) -> PossibleDuplicates:
    found = await duplicates.find(session, child=child, principal=principal)
    await audit.record(session, principal=principal, request=request, at=clock.now(),
                       child_ids=[child.id, *(d.child_id for d in found)])
    return PossibleDuplicates(items=[PossibleDuplicate(child_id=d.child_id, score=d.score, reasons=list(d.reasons))
                                     for d in found])


@router.post("/children/{child_id}/merge", dependencies=[needs("registry:write")], response_model=ChildPublic,
             summary="Merge a duplicate record into this one (district operators)")
async def merge_duplicate(data: MergeRequest, child: ChildDep, response: Response, session: SessionDep,
                          principal: PrincipalDep, clock: ClockDep) -> ChildPublic:
    survivor = await duplicates.merge(session, survivor=child, duplicate_id=data.duplicate_id, principal=principal,
                                      now=clock.now())
    response.headers["ETag"] = etag(survivor)
    return service.to_public(survivor, clock.now().date())


@router.post("/children/{child_id}/merge-requests", dependencies=[needs("registry:write")], status_code=204,
             response_class=Response, summary="Ask the district to merge a possible duplicate into this record "
                                                  "(the operators are told; they merge)")
async def ask_to_merge(data: MergeRequest, child: ChildDep, session: SessionDep, principal: PrincipalDep,
                       clock: ClockDep) -> Response:
    await duplicates.ask_to_merge(session, child=child, duplicate_id=data.duplicate_id, principal=principal,
                                  now=clock.now())
    return Response(status_code=204)


@router.get("/children", dependencies=[needs("registry:read")],
            response_model=ChildPage, summary="Children in the caller's area, newest last; with `updated_since`, "
                                                "those changed since, oldest change first")
async def list_children(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    clock: ClockDep,
    village_code: Annotated[str | None, Query(pattern=VILLAGE_CODE)] = None,
    district_code: Annotated[str | None, Query(pattern=r"^\d{2}\.\d{2}\.\d{2}$")] = None,
    status_: Annotated[CaseStatus | None, Query(alias="status")] = None,
    classification: Literal["worst_form", "child_labour", "permitted_light_work", "at_risk", "not_at_risk"]
    | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    updated_since: UpdatedSince = None,
) -> ChildPage:
    access.require_lister(principal)
    # A list of changes also shows records merged or erased since: the poller learns to drop its copy.
    query = select(Child).where(access.place_filter(principal) if updated_since else access.scope_filter(principal))
    if village_code:
        query = query.where(Child.village_code == village_code)
    if district_code:
        query = query.where(Child.district_code == district_code)
    if status_:
        query = query.where(Child.status == status_)
    if classification:
        query = query.where(col(Child.classification)["result"].astext == classification)
    keyset = Keyset.listing(created=col(Child.created_at), updated=col(Child.updated_at), id_=col(Child.id),
                            updated_since=updated_since)
    page, next_cursor = await keyset.read(session, query, request=request, cursor=cursor, limit=limit,
                                          updated_since=updated_since)
    today = clock.now().date()
    await audit.record(session, principal=principal, request=request, child_ids=[c.id for c in page], at=clock.now())
    return ChildPage(items=[service.to_public(child, today) for child in page],
                     next_cursor=next_cursor)


@router.get("/children/{child_id}", dependencies=[needs("registry:read")],
            response_model=ChildPublic | ChildForProvider,
            summary="A child's record; provider staff get only what they need to serve it")
async def read_child(child: ReadableChildDep, request: Request, response: Response, principal: PrincipalDep,
                     clock: ClockDep) -> ChildPublic | ChildForProvider:
    """The hot read: no session of its own (the child and its audit row need none)."""
    today = clock.now().date()
    if principal.role is Role.PROVIDER_STAFF:  # only while its referral is accepted or in service
        async with transaction(request.app.state.sessions) as session:
            routes = await contacts.routes_to_family(session, child.id, child.village_code)
        return ChildForProvider(**child.model_dump(include=set(ChildForProvider.model_fields) - {"age"}),
                                age=service.age_on(child.birth_date, today), routes_to_family=routes)
    response.headers["ETag"] = etag(child)
    return service.to_public(child, today)


@router.patch("/children/{child_id}", dependencies=[needs("registry:write")], response_model=ChildPublic,
              summary="Change a child's record; needs If-Match with the ETag you read")
async def update_child(
    data: ChildUpdate,
    child: ChildDep,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    clock: ClockDep,
    if_match: IfMatch = None,
) -> ChildPublic:
    concurrency.require_match(if_match, child.version, what="record")
    if data.village_code is not None:
        access.require_write_in(principal, data.village_code)
    updated = await service.update(session, child=child, data=data, principal=principal, now=clock.now())
    response.headers["ETag"] = etag(updated)
    return service.to_public(updated, clock.now().date())
