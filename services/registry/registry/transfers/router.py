"""Transfers of a child's case between kabupaten: propose, list, read, accept, decline, cancel.

Every answer that names a child is audited like a read of the child's record."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status
from sqlmodel import col

from registry.dependencies import ChildDep, TransferDep
from registry.transfers import service
from registry.transfers.models import Transfer, TransferStatus
from registry.transfers.schemas import (
    TransferAcceptance,
    TransferDecline,
    TransferPage,
    TransferProposal,
    TransferPublic,
)
from sprpa_shared import audit, concurrency, idempotency
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.idempotency import IdempotencyKey
from sprpa_shared.pagination import Cursor, Keyset, Limit

router = APIRouter(prefix="/api/v1", tags=["transfers"])


async def _answer(session, transfer: Transfer, request: Request, principal, clock,
                  response: Response | None = None) -> TransferPublic:
    if response is not None:
        response.headers["ETag"] = concurrency.etag(transfer.version)
    await audit.record(session, principal=principal, request=request, at=clock.now(), child_ids=[transfer.child_id],
                       object_id=transfer.id)
    return (await service.public(session, [transfer], clock.now().date()))[0]


@router.post("/children/{child_id}/transfers", dependencies=[needs("registry:write")],
             status_code=status.HTTP_201_CREATED, response_model=TransferPublic,
             summary="Propose moving the child's case to another kabupaten (the family moved); its operators answer")
async def propose_transfer(data: TransferProposal, child: ChildDep, request: Request, response: Response,
                           session: SessionDep, principal: PrincipalDep, clock: ClockDep,
                           idempotency_key: IdempotencyKey = None) -> TransferPublic:
    transfer = await idempotency.once(
        session, response, principal=principal, key=idempotency_key,
        route="POST /api/v1/children/{child_id}/transfers", body=data, now=clock.now(),
        replay=lambda earlier: service.get(session, earlier, principal),
        create=lambda new: service.propose(session, child=child, data=data, principal=principal, now=clock.now(),
                                           transfer_id=new))
    response.headers["Location"] = f"/api/v1/transfers/{transfer.id}"
    return await _answer(session, transfer, request, principal, clock, response)


@router.get("/transfers", dependencies=[needs("registry:read")], response_model=TransferPage,
            summary="Transfers your kabupaten proposed (outgoing) or must answer (incoming), newest first")
async def list_transfers(
    request: Request, session: SessionDep, principal: PrincipalDep, clock: ClockDep,
    direction: Annotated[Literal["incoming", "outgoing"] | None, Query()] = None,
    status_: Annotated[TransferStatus | None, Query(alias="status")] = None,
    cursor: Cursor = None, limit: Limit = 50,
) -> TransferPage:
    query = service.listing(principal, direction=direction, status=status_)
    keyset = Keyset(col(Transfer.proposed_at), col(Transfer.id), descending=True)
    page, next_cursor = await keyset.read(session, query, request=request, cursor=cursor, limit=limit)
    await audit.record(session, principal=principal, request=request, at=clock.now(),
                       child_ids=list(dict.fromkeys(t.child_id for t in page)))
    return TransferPage(items=await service.public(session, page, clock.now().date()), next_cursor=next_cursor)


@router.get("/transfers/{transfer_id}", dependencies=[needs("registry:read")], response_model=TransferPublic)
async def read_transfer(transfer: TransferDep, request: Request, response: Response, session: SessionDep,
                        principal: PrincipalDep, clock: ClockDep) -> TransferPublic:
    return await _answer(session, transfer, request, principal, clock, response)


@router.post("/transfers/{transfer_id}/accept", dependencies=[needs("registry:write")],
             response_model=TransferPublic,
             summary="Accept: the child's record, history, visits and needs move into your kabupaten (operators of "
                     "the receiving kabupaten)")
async def accept_transfer(transfer: TransferDep, data: TransferAcceptance, request: Request, session: SessionDep,
                          principal: PrincipalDep, clock: ClockDep) -> TransferPublic:
    transfer = await service.accept(session, transfer=transfer, data=data, principal=principal, now=clock.now())
    return await _answer(session, transfer, request, principal, clock)


@router.post("/transfers/{transfer_id}/decline", dependencies=[needs("registry:write")],
             response_model=TransferPublic, summary="Decline: nothing moves (operators of the receiving kabupaten)")
async def decline_transfer(transfer: TransferDep, data: TransferDecline, request: Request, session: SessionDep,
                           principal: PrincipalDep, clock: ClockDep) -> TransferPublic:
    transfer = await service.decline(session, transfer=transfer, data=data, principal=principal, now=clock.now())
    return await _answer(session, transfer, request, principal, clock)


@router.post("/transfers/{transfer_id}/cancel", dependencies=[needs("registry:write")],
             response_model=TransferPublic, summary="Withdraw a proposal not yet answered (the proposing kabupaten)")
async def cancel_transfer(transfer: TransferDep, request: Request, session: SessionDep, principal: PrincipalDep,
                          clock: ClockDep) -> TransferPublic:
    transfer = await service.cancel(session, transfer=transfer, principal=principal, now=clock.now())
    return await _answer(session, transfer, request, principal, clock)
