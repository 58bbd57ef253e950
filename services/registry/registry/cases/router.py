"""Assessments, flagging for remediation, and the case history."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from registry.cases import service
from registry.cases.needs import RootCause, derive_needs
from registry.cases.schemas import (
    AssessmentCreate,
    ClosureIn,
    ConsentWithdrawal,
    ConsentWithdrawn,
    FlagCreate,
    FlagPublic,
    FlagRejection,
    History,
    HistoryEntry,
    NeedsPreview,
)
from registry.children.models import Child
from registry.children.router import etag
from registry.children.schemas import ChildPublic
from registry.children.service import age_on, to_public
from registry.dependencies import ChildDep, ChildToFlagDep
from sprpa_contracts.catalogue import SERVICE_CODES
from sprpa_shared import concurrency, idempotency
from sprpa_shared.concurrency import IfMatch
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.errors import ValidationFailed
from sprpa_shared.idempotency import IdempotencyKey

router = APIRouter(prefix="/api/v1/children/{child_id}", tags=["cases"])


@router.post("/assessments", dependencies=[needs("registry:write")],
             status_code=status.HTTP_201_CREATED, response_model=ChildPublic,
             summary="Record assessed facts; the classification is recomputed. Needs If-Match with the child's "
                     "ETag: the facts replace the child's, so they must not overwrite a change they have not seen")
async def assess(data: AssessmentCreate, child: ChildDep, response: Response, session: SessionDep,
                 principal: PrincipalDep, clock: ClockDep, if_match: IfMatch = None,
                 idempotency_key: IdempotencyKey = None) -> ChildPublic:
    async def record(_: uuid.UUID) -> Child:
        # After the replay check: a retried assessment (same key) answers the record, not a 412.
        concurrency.require_match(if_match, child.version, what="child's record")
        return await service.assess(session, child=child, data=data, principal=principal, now=clock.now())

    async def replay(_: uuid.UUID) -> Child:
        return child

    assessed = await idempotency.once(
        session, response, principal=principal, key=idempotency_key,
        route=f"POST /api/v1/children/{child.id}/assessments", body=data, now=clock.now(), replay=replay,
        create=record)
    response.headers["ETag"] = etag(assessed)
    response.headers["Location"] = f"/api/v1/children/{child.id}"  # the assessment is the child's record now
    return to_public(assessed, clock.now().date())


@router.post("/flag", dependencies=[needs("registry:write")],
             status_code=status.HTTP_201_CREATED, response_model=FlagPublic,
             summary="Flag an assessed case for remediation, with root causes and consent (202: a flag on a "
                     "legal basis, without guardian consent, waits for a second person's approval)")
async def flag(data: FlagCreate, to_flag: ChildToFlagDep, response: Response, session: SessionDep,
               principal: PrincipalDep, clock: ClockDep) -> FlagPublic:
    child = to_flag.child
    record = await service.flag(session, child=child, awaiting_approval=to_flag.awaiting_approval, data=data,
                                principal=principal, now=clock.now())
    if record.approval == "pending":
        response.status_code = status.HTTP_202_ACCEPTED
    response.headers["Location"] = f"/api/v1/children/{child.id}/flag"
    response.headers["ETag"] = etag(child)
    return FlagPublic(**record.model_dump(), status=child.status)


@router.post("/close", dependencies=[needs("registry:write")], response_model=ChildPublic,
             summary="Close the case with its reason (the district): moved away, died, turned 18, a duplicate, "
                     "or the outcome confirmed; the engine cancels what is still live")
async def close(data: ClosureIn, child: ChildDep, response: Response, session: SessionDep, principal: PrincipalDep,
                clock: ClockDep) -> ChildPublic:
    closed = await service.close(session, child=child, data=data, principal=principal, now=clock.now())
    response.headers["ETag"] = etag(closed)
    return to_public(closed, clock.now().date())


@router.get("/flag/preview", dependencies=[needs("registry:read")], response_model=NeedsPreview,
            summary="The needs a flag with these root causes (and extra needs) would request for this child: the "
                    "same mapping the flag uses, so nothing is asked for unseen")
async def preview_needs(child: ChildDep, clock: ClockDep,
                        root_causes: Annotated[list[RootCause], Query(max_length=len(RootCause))] = (),
                        extra_needs: Annotated[list[str], Query(max_length=len(SERVICE_CODES))] = ()) -> NeedsPreview:
    unknown = sorted(set(extra_needs) - SERVICE_CODES)
    if unknown:
        raise ValidationFailed(f"unknown service catalogue code(s): {', '.join(unknown)}", field="extra_needs")
    age = age_on(child.birth_date, clock.now().date())
    return NeedsPreview(needs=derive_needs(list(root_causes), age=age, extra=list(extra_needs)), age=age)


@router.get("/flag", dependencies=[needs("registry:read")], response_model=FlagPublic | None,
            summary="The child's latest flag (null before the first): whether it waits for a second person's "
                    "approval, what it asked for and what was dropped")
async def latest_flag(child: ChildDep, session: SessionDep) -> FlagPublic | None:
    record = await service.latest_flag(session, child.id)
    return FlagPublic(**record.model_dump(), status=child.status) if record else None


@router.post("/flag/approve", dependencies=[needs("registry:write")], response_model=FlagPublic,
             summary="A second operator approves the flag made without guardian consent; then it is referred")
async def approve_flag(child: ChildDep, session: SessionDep, principal: PrincipalDep,
                       clock: ClockDep) -> FlagPublic:
    record = await service.approve(session, child=child, principal=principal, now=clock.now())
    return FlagPublic(**record.model_dump(), status=child.status)


@router.post("/flag/reject", dependencies=[needs("registry:write")], response_model=FlagPublic,
             summary="A second operator rejects the flag waiting for approval, with a reason; the case stays assessed")
async def reject_flag(data: FlagRejection, child: ChildDep, session: SessionDep, principal: PrincipalDep,
                      clock: ClockDep) -> FlagPublic:
    record = await service.reject(session, child=child, data=data, principal=principal, now=clock.now())
    return FlagPublic(**record.model_dump(), status=child.status)


@router.post("/consent/withdraw", dependencies=[needs("registry:write")], response_model=ConsentWithdrawn,
             summary="Record that the guardian (or the child) withdrew consent; live referrals are cancelled")
async def withdraw_consent(data: ConsentWithdrawal, child: ChildDep, session: SessionDep, principal: PrincipalDep,
                           clock: ClockDep) -> ConsentWithdrawn:
    consent = await service.withdraw_consent(session, child=child, data=data, principal=principal, now=clock.now())
    return ConsentWithdrawn(consent_id=consent.id, withdrawn_on=consent.withdrawn_on)


@router.get("/history", dependencies=[needs("registry:read")],
            response_model=History, summary="Every status change of the case (all on one page)")
async def case_history(child: ChildDep, session: SessionDep) -> History:
    return History(items=[HistoryEntry(**row.model_dump()) for row in await service.case_history(session, child.id)])
