"""`/api/v1/cases/{child_id}`: the district's view of a child's referrals, and manual re-referral."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status
from sqlmodel import col, select

from referral import access
from referral.cases import service as cases
from referral.cases.schemas import (
    CasePage,
    CaseSummary,
    CaseView,
    EarlierCase,
    GapPublic,
    NeedAdd,
    NeedLine,
    NeedView,
    NeedWithdrawal,
    TimelineLine,
)
from referral.models import Case, Gap, Need, Referral, TimelineEntry
from referral.referrals import service
from referral.referrals.router import etag, public
from referral.referrals.schemas import ReferralPublic, ReReferIn
from sprpa_shared import audit, idempotency
from sprpa_shared.auth.principal import Role
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.errors import NotFound, OutOfScope
from sprpa_shared.idempotency import IdempotencyKey
from sprpa_shared.pagination import Cursor, Keyset, Limit, UpdatedSince

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])


@router.get("", dependencies=[needs("referral:read")], response_model=CasePage,
            summary="Cases in your area, in the order they were flagged; with `updated_since`, those changed since, "
                    "oldest change first")
async def list_cases(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    clock: ClockDep,
    case_status: Annotated[Literal["open", "settled", "refused", "closed"] | None, Query(alias="status")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    updated_since: UpdatedSince = None,
) -> CasePage:
    query = select(Case).where(access.case_filter(principal))
    if case_status:
        query = query.where(Case.status == case_status)
    keyset = Keyset.listing(created=col(Case.flagged_at), updated=col(Case.updated_at), id_=col(Case.id),
                            updated_since=updated_since)
    page, next_cursor = await keyset.read(session, query, request=request, cursor=cursor, limit=limit,
                                          updated_since=updated_since)
    await audit.record(session, principal=principal, request=request, at=clock.now(),
                       child_ids=list(dict.fromkeys(case.child_id for case in page)))
    needs_of: dict[uuid.UUID, list[NeedLine]] = {case.id: [] for case in page}
    for need in (await session.exec(select(Need).where(col(Need.case_id).in_(list(needs_of)))
                                    .order_by(col(Need.category)))).all():
        needs_of[need.case_id].append(NeedLine(id=need.id, category=need.category, status=need.status))
    return CasePage(items=[CaseSummary(case_id=case.id, needs=needs_of[case.id],
                                       **case.model_dump(include=set(CaseSummary.model_fields) - {"case_id", "needs"}))
                           for case in page],
                    next_cursor=next_cursor)


@router.get("/{child_id}/export", dependencies=[needs("referral:read")],
            summary="Everything the engine holds about a child (every case, need, referral with its reason "
                    "text, gap and timeline note), for the child or guardian: the district or a national admin")
async def export(child_id: uuid.UUID, request: Request, session: SessionDep, principal: PrincipalDep,
                 clock: ClockDep) -> dict:
    cases = (await session.exec(select(Case).where(Case.child_id == child_id).order_by(col(Case.flagged_at)))).all()
    if not cases:
        raise NotFound("no case for this child")
    if principal.role not in (Role.NATIONAL_ADMIN, Role.DISTRICT_OPERATOR) \
            or not principal.covers_place(cases[-1].village_code):
        raise OutOfScope("no case for this child", child_id=child_id)
    await audit.record(session, principal=principal, request=request, child_ids=[child_id], at=clock.now())
    case_ids = [case.id for case in cases]

    async def rows(model, *order) -> list[dict]:
        found = await session.exec(select(model).where(col(model.case_id).in_(case_ids)).order_by(*order))
        return [row.model_dump(mode="json") for row in found.all()]

    return {"child_id": str(child_id), "exported_at": clock.now().isoformat(),
            "cases": [case.model_dump(mode="json") for case in cases],
            "needs": await rows(Need, col(Need.category)),
            "referrals": await rows(Referral, col(Referral.offered_at), col(Referral.id)),
            "gaps": await rows(Gap, col(Gap.recorded_at)),
            "timeline": await rows(TimelineEntry, col(TimelineEntry.id))}


@router.get("/{child_id}", dependencies=[needs("referral:read")], response_model=CaseView,
            summary="The child's latest case (or `case_id`): needs, their referrals and gaps, and the timeline")
async def read(child_id: uuid.UUID, request: Request, session: SessionDep, principal: PrincipalDep, clock: ClockDep,
               case_id: Annotated[uuid.UUID | None, Query(description="an earlier case of the child")] = None
               ) -> CaseView:
    cases = (await session.exec(select(Case).where(Case.child_id == child_id)
                                .order_by(col(Case.flagged_at).desc(), col(Case.id).desc()))).all()
    chosen = next((c for c in cases if case_id is None or c.id == case_id), None)
    if chosen is None or not access.can_read_case(principal, chosen.village_code):
        raise NotFound("no case for this child")
    await audit.record(session, principal=principal, request=request, child_ids=[child_id], at=clock.now())
    needs = (await session.exec(select(Need).where(Need.case_id == chosen.id).order_by(col(Need.category)))).all()
    referrals = (await session.exec(select(Referral).where(Referral.case_id == chosen.id)
                                    .order_by(col(Referral.offered_at), col(Referral.id)))).all()
    gaps = (await session.exec(select(Gap).where(Gap.case_id == chosen.id).order_by(col(Gap.recorded_at)))).all()
    timeline = (await session.exec(select(TimelineEntry).where(TimelineEntry.case_id == chosen.id)
                                   .order_by(col(TimelineEntry.id)))).all()
    return CaseView(
        case_id=chosen.id, **chosen.model_dump(exclude={"id", "flag_event_id", "flag_id", "consent_id",
                                                        "regency_code"}),
        needs=[need_view(need, chosen, gaps, referrals) for need in needs],
        timeline=[TimelineLine(**line.model_dump()) for line in timeline],
        earlier_cases=[EarlierCase(case_id=c.id, flagged_at=c.flagged_at, status=c.status)
                       for c in cases if c.id != chosen.id],
    )


def need_view(need: Need, case: Case, gaps, referrals) -> NeedView:
    own = [GapPublic(**gap.model_dump()) for gap in gaps if gap.need_id == need.id]
    return NeedView(id=need.id, category=need.category, status=need.status, preferences=need.preferences,
                    added_at=need.added_at, withdrawn_reason=need.withdrawn_reason,
                    gap=own[-1] if own else None, gaps=own,
                    referrals=[public(r, case) for r in referrals if r.need_id == need.id])


@router.post("/{child_id}/needs", dependencies=[needs("referral:write")], status_code=status.HTTP_201_CREATED,
             response_model=NeedView,
             summary="Add a need to the child's open case after the flag (e.g. an apprenticeship after the course): "
                     "it is offered like the flag's own needs")
async def add_need(child_id: uuid.UUID, data: NeedAdd, request: Request, response: Response, session: SessionDep,
                   principal: PrincipalDep, clock: ClockDep, idempotency_key: IdempotencyKey = None) -> NeedView:
    async def replay(earlier: uuid.UUID) -> Need:
        return await session.get(Need, earlier)

    need = await idempotency.once(
        session, response, principal=principal, key=idempotency_key, route=f"POST /api/v1/cases/{child_id}/needs",
        body=data, now=clock.now(), replay=replay,
        create=lambda new: cases.add_need(session, child_id=child_id, data=data, principal=principal,
                                          settings=request.app.state.settings, now=clock.now(), need_id=new))
    await audit.record(session, principal=principal, request=request, child_ids=[child_id], at=clock.now(),
                       object_id=need.id)
    response.headers["Location"] = f"/api/v1/cases/{child_id}"
    return await _view_of(session, need)


@router.post("/{child_id}/needs/{need_id}/withdraw", dependencies=[needs("referral:write")], response_model=NeedView,
             summary="Withdraw a need with a reason (the child no longer needs it, declined it, was served "
                     "elsewhere): its live referrals are cancelled")
async def withdraw_need(child_id: uuid.UUID, need_id: uuid.UUID, data: NeedWithdrawal, request: Request,
                        session: SessionDep, principal: PrincipalDep, clock: ClockDep) -> NeedView:
    need = await cases.withdraw_need(session, child_id=child_id, need_id=need_id, data=data, principal=principal,
                                     now=clock.now())
    await audit.record(session, principal=principal, request=request, child_ids=[child_id], at=clock.now(),
                       object_id=need.id)
    return await _view_of(session, need)


async def _view_of(session, need: Need) -> NeedView:
    case = await session.get(Case, need.case_id)
    gaps = (await session.exec(select(Gap).where(Gap.need_id == need.id).order_by(col(Gap.recorded_at)))).all()
    referrals = (await session.exec(select(Referral).where(Referral.need_id == need.id)
                                    .order_by(col(Referral.offered_at), col(Referral.id)))).all()
    return need_view(need, case, gaps, referrals)


@router.post("/{child_id}/needs/{need_id}/referrals", dependencies=[needs("referral:write")],
             status_code=status.HTTP_201_CREATED,
             response_model=ReferralPublic,
             summary="Send a need to a named service (the district's choice); its other open offers are withdrawn")
async def re_refer(child_id: uuid.UUID, need_id: uuid.UUID, data: ReReferIn, request: Request, response: Response,
                   session: SessionDep, principal: PrincipalDep, clock: ClockDep,
                   idempotency_key: IdempotencyKey = None) -> ReferralPublic:
    async def replay(earlier: uuid.UUID) -> Referral:
        return access.require_referral(principal, await session.get(Referral, earlier))

    referral = await idempotency.once(
        session, response, principal=principal, key=idempotency_key,
        route=f"POST /api/v1/cases/{child_id}/needs/{need_id}/referrals", body=data, now=clock.now(), replay=replay,
        create=lambda new: service.re_refer(session, need_id=need_id, child_id=child_id, offering_id=data.offering_id,
                                            principal=principal, settings=request.app.state.settings,
                                            now=clock.now(), referral_id=new))
    response.headers["Location"] = f"/api/v1/referrals/{referral.id}"
    response.headers["ETag"] = etag(referral)
    return public(referral, await session.get(Case, referral.case_id))
