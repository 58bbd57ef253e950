"""`/api/v1/referrals`: a provider's inbox and its answers; the district's view and cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import col, select

from referral import access
from referral.dependencies import ReferralDep
from referral.models import Case, Referral
from referral.referrals import service
from referral.referrals.schemas import CancelIn, CompleteIn, DatedIn, DeclineIn, ReferralPage, ReferralPublic
from referral.rules.lifecycle import LIVE, Status
from sprpa_shared import audit, concurrency
from sprpa_shared.concurrency import IfMatch
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.pagination import Cursor, Keyset, Limit, UpdatedSince
from sprpa_shared.zones import zone_of

router = APIRouter(prefix="/api/v1/referrals", tags=["referrals"])
NOT_DATED = DatedIn()  # no body: it happened today


def etag(referral: Referral) -> str:
    """The referral's version: send it as If-Match with an answer to act only on what you read."""
    return concurrency.etag(referral.version)


def public(referral: Referral, case: Case | None = None) -> ReferralPublic:
    return ReferralPublic(
        **referral.model_dump(exclude={"deadline", "version", "regency_code"}),
        deadline=referral.deadline if referral.status == Status.OFFERED else None,
        time_zone=zone_of(referral.village_code).tzname(None),
        child_age=case.age if case else None, child_sex=case.sex if case else None,
    )


@router.get("", dependencies=[needs("referral:read")], response_model=ReferralPage,
            summary="Referrals in your scope, newest offer first: a provider's inbox (its organisation's), a "
                    "district's (its kabupaten's); with `updated_since`, those changed since, oldest change first")
async def inbox(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    clock: ClockDep,
    status: Annotated[list[Status] | None, Query(description="default: the live ones (offered, accepted, "
                                                             "in service); with updated_since, every status")] = None,
    category: str | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    updated_since: UpdatedSince = None,
) -> ReferralPage:
    query = (select(Referral, Case).join(Case, col(Case.id) == col(Referral.case_id))
             .where(access.referral_filter(principal)))
    if status or not updated_since:  # a list of changes shows every status unless asked
        query = query.where(col(Referral.status).in_([s.value for s in status or sorted(LIVE)]))
    if category:
        query = query.where(Referral.category == category)
    keyset = Keyset.listing(created=col(Referral.offered_at), updated=col(Referral.updated_at),
                            id_=col(Referral.id), updated_since=updated_since, descending=True)
    page, next_cursor = await keyset.read(session, query, request=request, cursor=cursor, limit=limit,
                                          updated_since=updated_since)
    await audit.record(session, principal=principal, request=request, at=clock.now(),
                       child_ids=list({referral.child_id for referral, _ in page}))
    return ReferralPage(items=[public(r, c) for r, c in page],
                        next_cursor=next_cursor)


@router.get("/{referral_id}", dependencies=[needs("referral:read")], response_model=ReferralPublic)
async def read(referral: ReferralDep, request: Request, response: Response, session: SessionDep,
               principal: PrincipalDep, clock: ClockDep) -> ReferralPublic:
    await audit.record(session, principal=principal, request=request, child_ids=[referral.child_id], at=clock.now())
    response.headers["ETag"] = etag(referral)
    return public(referral, await session.get(Case, referral.case_id))


@router.post("/{referral_id}/accept", dependencies=[needs("referral:write")], response_model=ReferralPublic,
             summary="Take the offer: the first acceptance wins, the need's other offers are withdrawn (409 after)")
async def accept(referral: ReferralDep, response: Response, session: SessionDep, principal: PrincipalDep,
                 clock: ClockDep, data: DatedIn = NOT_DATED, if_match: IfMatch = None) -> ReferralPublic:
    return _answered(response, await service.accept(session, referral=referral, principal=principal, now=clock.now(),
                                                     on=data.on, if_match=if_match))


@router.post("/{referral_id}/decline", dependencies=[needs("referral:write")], response_model=ReferralPublic,
             summary="Turn the offer down with a reason: the next provider is offered the need")
async def decline(referral: ReferralDep, data: DeclineIn, request: Request, response: Response, session: SessionDep,
                  principal: PrincipalDep, clock: ClockDep, if_match: IfMatch = None) -> ReferralPublic:
    return _answered(response, await service.decline(
        session, referral=referral, principal=principal, reason=data.reason, text_=data.text,
        settings=request.app.state.settings, now=clock.now(), if_match=if_match))


@router.post("/{referral_id}/start", dependencies=[needs("referral:write")],
             response_model=ReferralPublic, summary="The service has started")
async def start(referral: ReferralDep, response: Response, session: SessionDep, principal: PrincipalDep,
                clock: ClockDep, data: DatedIn = NOT_DATED, if_match: IfMatch = None) -> ReferralPublic:
    return _answered(response, await service.start(session, referral=referral, principal=principal, now=clock.now(),
                                                    on=data.on, if_match=if_match))


@router.post("/{referral_id}/complete", dependencies=[needs("referral:write")], response_model=ReferralPublic,
             summary="The referral ended, with its outcome (service delivered only once started)")
async def complete(referral: ReferralDep, data: CompleteIn, response: Response, session: SessionDep,
                   principal: PrincipalDep, clock: ClockDep, if_match: IfMatch = None) -> ReferralPublic:
    return _answered(response, await service.complete(
        session, referral=referral, principal=principal, outcome=data.outcome, text_=data.text, now=clock.now(),
        on=data.on, sessions=data.sessions, if_match=if_match))


@router.post("/{referral_id}/cancel", dependencies=[needs("referral:write")], response_model=ReferralPublic,
             summary="The district takes the referral back, with a reason; the need then waits for the district")
async def cancel(referral: ReferralDep, data: CancelIn, response: Response, session: SessionDep,
                 principal: PrincipalDep, clock: ClockDep, if_match: IfMatch = None) -> ReferralPublic:
    return _answered(response, await service.cancel(session, referral=referral, principal=principal,
                                                     reason=data.reason, text_=data.text, now=clock.now(),
                                                     if_match=if_match))


def _answered(response: Response, referral: Referral) -> ReferralPublic:
    """An action's answer: the referral as it is now, with its new ETag."""
    response.headers["ETag"] = etag(referral)
    return public(referral)
