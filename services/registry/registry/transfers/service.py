"""Transfers between kabupaten: proposed by the child's kabupaten, answered by the receiving one.

On acceptance the child's record moves to a desa of the receiving kabupaten, and with it
everything kept by the child's id (history, visits, assessments, flags, consents): the child is
then in the receiving kabupaten's scope and no longer in the old one's. The old kabupaten keeps
the transfer itself, its audit, and its reports' counts of what it did (the read models keep the
place each flag, visit and referral happened in). The consent moves with the child: its scope is
"share with the MOU providers of the child's kabupaten", and names no kabupaten.

A transfer within a kabupaten is not a transfer: an operator changes the child's desa.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from registry import access
from registry.cases import history
from registry.children.events import announce_update
from registry.children.models import Child, Household
from registry.children.rules import age_on
from registry.facilitators import service as facilitators
from registry.places import repository as places
from registry.transfers.models import Transfer, TransferStatus
from registry.transfers.schemas import (
    TransferAcceptance,
    TransferChild,
    TransferDecline,
    TransferProposal,
    TransferPublic,
)
from sprpa_contracts.events import ChildTransferred, TransferDecided, TransferProposed
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.errors import Conflict, NotFound, ValidationFailed
from sprpa_shared.events.outbox import emit


async def propose(session: AsyncSession, *, child: Child, data: TransferProposal, principal: Principal,
                  now: datetime, transfer_id: uuid.UUID) -> Transfer:
    here = child.village_code[:5]
    access.require_district_writer_of(principal, here)
    if child.status == "closed":
        raise Conflict("the case is closed: a child who needs the programme again is registered where they live",
                       current_status=child.status)
    if data.to_regency_code == here:
        raise ValidationFailed("the child already lives in this kabupaten: change the desa on the child's record",
                               field="to_regency_code")
    if not await places.exists(session, data.to_regency_code, level=2):
        raise ValidationFailed(f"{data.to_regency_code} is not an official kabupaten/kota", field="to_regency_code")
    if data.to_village_code is not None:
        await _require_village_in(session, data.to_village_code, data.to_regency_code, field="to_village_code")
    if await _open_transfer_of(session, child.id) is not None:
        raise Conflict("a transfer of this child is already waiting for an answer")
    transfer = Transfer(id=transfer_id, child_id=child.id, status=TransferStatus.PROPOSED,
                        reason=data.reason.value, from_village_code=child.village_code, from_regency_code=here,
                        to_regency_code=data.to_regency_code, to_village_code=data.to_village_code,
                        proposed_at=now, proposed_by=principal.subject, updated_at=now)
    session.add(transfer)
    await session.flush()
    await emit(session, TransferProposed(transfer_id=transfer.id, child_id=child.id, village_code=child.village_code,
                                         to_regency_code=transfer.to_regency_code,
                                         to_village_code=transfer.to_village_code, reason=transfer.reason), at=now)
    return transfer


async def _require_village_in(session: AsyncSession, village_code: str, regency_code: str, *, field: str) -> None:
    if not village_code.startswith(regency_code + ".") or not await places.is_village(session, village_code):
        raise ValidationFailed(f"{village_code} is not an official desa/kelurahan of {regency_code}", field=field)


async def _open_transfer_of(session: AsyncSession, child_id: uuid.UUID) -> Transfer | None:
    query = select(Transfer).where(Transfer.child_id == child_id, Transfer.status == TransferStatus.PROPOSED)
    return (await session.exec(query)).first()


def _visible_to(principal: Principal, transfer: Transfer) -> bool:
    if principal.role is Role.NATIONAL_ADMIN:
        return True
    return principal.role is Role.DISTRICT_OPERATOR and (
        principal.covers_place(transfer.from_regency_code) or principal.covers_place(transfer.to_regency_code))


async def get(session: AsyncSession, transfer_id: uuid.UUID, principal: Principal, *,
              for_update: bool = False) -> Transfer:
    query = select(Transfer).where(Transfer.id == transfer_id)
    transfer = (await session.exec(query.with_for_update() if for_update else query)).first()
    if transfer is None or not _visible_to(principal, transfer):
        raise NotFound("no such transfer")
    return transfer


def listing(principal: Principal, *, direction: str | None, status: TransferStatus | None):
    """The transfers an operator's kabupaten proposed (outgoing) or must answer (incoming)."""
    access.require_district(principal)
    query = select(Transfer)
    if principal.role is Role.DISTRICT_OPERATOR:
        incoming = col(Transfer.to_regency_code).in_(principal.regency_codes)
        outgoing = col(Transfer.from_regency_code).in_(principal.regency_codes)
        query = query.where({"incoming": incoming, "outgoing": outgoing}.get(direction or "", or_(incoming,
                                                                                                   outgoing)))
    if status is not None:
        query = query.where(Transfer.status == status.value)
    return query


async def accept(session: AsyncSession, *, transfer: Transfer, data: TransferAcceptance, principal: Principal,
                 now: datetime) -> Transfer:
    """The child's record moves into the receiving kabupaten (a replayed acceptance answers the same)."""
    access.require_district_writer_of(principal, transfer.to_regency_code)
    if transfer.status == TransferStatus.ACCEPTED:
        return transfer
    _require_proposed(transfer)
    village = data.village_code or transfer.to_village_code
    if village is None:
        raise ValidationFailed("choose the child's desa in your kabupaten", field="village_code")
    await _require_village_in(session, village, transfer.to_regency_code, field="village_code")
    child = (await session.exec(select(Child).where(Child.id == transfer.child_id).with_for_update())).one()
    if child.merged_into is not None or child.erased_at is not None or child.status == "closed":
        raise Conflict("the child's record was merged, erased or closed since the transfer was proposed: "
                       "the proposing kabupaten cancels it", current_status=child.status)
    if child.village_code[:5] != transfer.from_regency_code:
        raise Conflict("the child is no longer in the proposing kabupaten")
    old = child.village_code
    changed = ["village_code"]
    transfer.household_moved = await _move_household(session, child, village)
    if child.household_id is not None and not transfer.household_moved:
        child.household_id = None  # brothers and sisters stay behind: the link goes, the household stays
        changed.append("household_id")
    child.village_code = village
    child.version += 1
    child.updated_at = now
    session.add(child)
    transfer.status, transfer.to_village_code = TransferStatus.ACCEPTED, village
    _decided(transfer, principal, now)
    await session.flush()
    await history.record(session, child=child, principal=principal, now=now, from_status=child.status,
                         reason=f"transferred from {old[:5]} to {village[:5]}")
    await facilitators.release(session, child, now=now, by=principal.subject)
    await emit(session, ChildTransferred(child_id=child.id, transfer_id=transfer.id, village_code=village,
                                         from_village_code=old), at=now)
    await announce_update(session, child, changed=changed, now=now)
    return transfer


async def _move_household(session: AsyncSession, child: Child, village_code: str) -> bool:
    """The household goes with the child when no other live child of it stays behind."""
    if child.household_id is None:
        return False
    others = (await session.exec(select(func.count()).select_from(Child).where(
        Child.household_id == child.household_id, Child.id != child.id, col(Child.merged_into).is_(None),
        col(Child.erased_at).is_(None)))).one()
    if others:
        return False
    household = await session.get(Household, child.household_id, with_for_update=True)
    if household is None:
        return False
    household.village_code = village_code
    household.version += 1
    session.add(household)
    return True


async def decline(session: AsyncSession, *, transfer: Transfer, data: TransferDecline, principal: Principal,
                  now: datetime) -> Transfer:
    access.require_district_writer_of(principal, transfer.to_regency_code)
    if transfer.status == TransferStatus.DECLINED and transfer.decline_reason == data.reason.value:
        return transfer
    _require_proposed(transfer)
    transfer.status, transfer.decline_reason = TransferStatus.DECLINED, data.reason.value
    return await _ended(session, transfer, principal, now, outcome="declined")


async def cancel(session: AsyncSession, *, transfer: Transfer, principal: Principal, now: datetime) -> Transfer:
    access.require_district_writer_of(principal, transfer.from_regency_code)
    if transfer.status == TransferStatus.CANCELLED:
        return transfer
    _require_proposed(transfer)
    transfer.status = TransferStatus.CANCELLED
    return await _ended(session, transfer, principal, now, outcome="cancelled")


async def _ended(session: AsyncSession, transfer: Transfer, principal: Principal, now: datetime, *,
                 outcome: str) -> Transfer:
    """Nothing moved: the child stays where it is."""
    _decided(transfer, principal, now)
    await session.flush()
    village = (await session.exec(select(Child.village_code).where(Child.id == transfer.child_id))).one()
    await emit(session, TransferDecided(transfer_id=transfer.id, child_id=transfer.child_id, village_code=village,
                                        to_regency_code=transfer.to_regency_code, outcome=outcome,
                                        reason=transfer.decline_reason), at=now)
    return transfer


def _require_proposed(transfer: Transfer) -> None:
    if transfer.status != TransferStatus.PROPOSED:
        raise Conflict(f"the transfer was already {transfer.status}", current_status=transfer.status)


def _decided(transfer: Transfer, principal: Principal, now: datetime) -> None:
    transfer.decided_at, transfer.decided_by, transfer.updated_at = now, principal.subject, now
    transfer.version += 1


async def public(session: AsyncSession, transfers: list[Transfer], today) -> list[TransferPublic]:
    """The transfers as the API shows them; a proposed one with the child in codes."""
    waiting = [t.child_id for t in transfers if t.status == TransferStatus.PROPOSED]
    children_of = {}
    if waiting:
        rows = (await session.exec(select(Child.id, Child.sex, Child.birth_date, Child.classification, Child.status)
                                   .where(col(Child.id).in_(waiting)))).all()
        children_of = {row.id: TransferChild(sex=row.sex, age=age_on(row.birth_date, today),
                                             classification=row.classification["result"], case_status=row.status)
                       for row in rows}
    return [TransferPublic(**t.model_dump(), child=children_of.get(t.child_id)) for t in transfers]
