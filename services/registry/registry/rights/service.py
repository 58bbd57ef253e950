"""A child's rights over their data (UU 27/2022): everything held about them, exported; their
personal data erased on a lawful request or at the end of the retention period.

Erasure keeps the pseudonymous id, the place codes, sex, birth year, classification and the case
history, so every count in every report still adds up; it removes the name, NIK, household,
exact birth date (kept as 1 July of the birth year), work details, notes, consent givers and
reasons. `child.erased` tells the other services, which hold no names, to drop what they keep.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import text, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from registry import access
from registry.cases import history
from registry.cases.models import CaseHistory, Consent, Flag
from registry.children import service as children
from registry.children.models import Child, Household, ProviderAccess
from registry.rights.models import RightsRequest
from registry.visits.models import Visit
from sprpa_contracts.events import ChildErased
from sprpa_shared.audit import NAMES_CHILD
from sprpa_shared.auth.principal import Principal
from sprpa_shared.db import transaction
from sprpa_shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from sprpa_shared.events.outbox import emit
from sprpa_shared.jobs import periodic
from sprpa_shared.observability import get_logger

log = get_logger(__name__)
ERASED_NAME = ""
SYSTEM = "system:retention"
_ACCESSES = text("SELECT at, actor_role, action FROM audit_log "
                 f"WHERE {NAMES_CHILD.format(child='CAST(:child_id AS uuid)')} ORDER BY id")


async def export(session: AsyncSession, child: Child, today: date) -> dict:
    """Every row the registry holds about the child, as the API would show each."""

    async def rows(model, *where, order=None) -> list[dict]:
        query = select(model).where(*where)
        if order is not None:
            query = query.order_by(order)
        return [row.model_dump(mode="json") for row in (await session.exec(query)).all()]

    household = await session.get(Household, child.household_id) if child.household_id else None
    return {
        "child": children.to_public(child, today).model_dump(mode="json"),
        "household": household.model_dump(mode="json") if household else None,
        "visits": await rows(Visit, Visit.child_id == child.id, order=col(Visit.visited_on)),
        "consents": await rows(Consent, Consent.child_id == child.id, order=col(Consent.recorded_at)),
        "flags": await rows(Flag, Flag.child_id == child.id),
        "case_history": await rows(CaseHistory, CaseHistory.child_id == child.id, order=col(CaseHistory.id)),
        "referrals": await rows(ProviderAccess, ProviderAccess.child_id == child.id),
        "accesses": [
            {"at": row["at"].isoformat(), "actor_role": row["actor_role"], "action": row["action"]}
            for row in (await (await session.connection()).execute(_ACCESSES, {"child_id": child.id})).mappings().all()
        ],
    }


EXPORT_USABLE = timedelta(hours=24)


async def ask(session: AsyncSession, *, child: Child, kind: str, basis: str | None, reference: str | None,
              principal: Principal, now: datetime, request_id: uuid.UUID) -> RightsRequest:
    """An export or an erasure asked by one operator: it waits for a second person's confirmation."""
    access.require_district(principal)
    if kind == "erasure" and basis is None:
        raise ValidationFailed("an erasure names its basis", field="basis")
    pending = (await session.exec(select(RightsRequest).where(
        RightsRequest.child_id == child.id, RightsRequest.kind == kind, RightsRequest.status == "pending"))).first()
    if pending is not None:
        raise Conflict(f"an {kind} of this child already waits for a second person's confirmation",
                       request_id=str(pending.id))
    asked = RightsRequest(id=request_id, child_id=child.id, kind=kind, basis=basis if kind == "erasure" else None,
                          reference=reference, status="pending", requested_by=principal.subject, requested_at=now)
    session.add(asked)
    await session.flush()
    return asked


async def confirm(session: AsyncSession, *, child: Child, request_id: uuid.UUID, principal: Principal,
                  now: datetime) -> RightsRequest:
    """A second operator (or a national admin) confirms: an erasure is carried out at once; an export
    may be downloaded for 24 hours."""
    access.require_district(principal)
    asked = await session.get(RightsRequest, request_id, with_for_update=True)
    if asked is None or asked.child_id != child.id:
        raise NotFound("no such request for this child")
    if asked.status != "pending":
        raise Conflict(f"the request is already {asked.status}", current_status=asked.status)
    if asked.requested_by == principal.subject:
        raise Forbidden("a second person confirms: not the one who asked")
    asked.confirmed_by, asked.confirmed_at = principal.subject, now
    if asked.kind == "erasure":
        await erase(session, child=child, basis=asked.basis or "data_subject_request", reference=asked.reference,
                    principal=principal, now=now)
        asked.status = "done"
    else:
        asked.status, asked.usable_until = "confirmed", now + EXPORT_USABLE
    session.add(asked)
    return asked


async def cancel(session: AsyncSession, *, child: Child, request_id: uuid.UUID, principal: Principal) -> RightsRequest:
    access.require_district(principal)
    asked = await session.get(RightsRequest, request_id, with_for_update=True)
    if asked is None or asked.child_id != child.id:
        raise NotFound("no such request for this child")
    if asked.status not in ("pending", "confirmed"):
        raise Conflict(f"the request is already {asked.status}", current_status=asked.status)
    asked.status = "cancelled"
    session.add(asked)
    return asked


async def require_confirmed_export(session: AsyncSession, child: Child, now: datetime) -> RightsRequest:
    confirmed = (await session.exec(select(RightsRequest).where(
        RightsRequest.child_id == child.id, RightsRequest.kind == "export", RightsRequest.status == "confirmed",
        col(RightsRequest.usable_until) > now).order_by(col(RightsRequest.confirmed_at).desc()))).first()
    if confirmed is None:
        raise Conflict("an export needs a request confirmed by a second person in the last 24 hours "
                       "(POST /children/{id}/rights-requests, then .../confirm)")
    return confirmed


async def requests_of(session: AsyncSession, child: Child) -> list[RightsRequest]:
    return list((await session.exec(select(RightsRequest).where(RightsRequest.child_id == child.id)
                                    .order_by(col(RightsRequest.requested_at).desc()))).all())


async def erase(session: AsyncSession, *, child: Child, basis: str, reference: str | None,
                principal: Principal | None, now: datetime) -> Child:
    """Anonymise the child in place (the caller holds the row lock) and tell the other services."""
    for model, values in ((Visit, {"notes": None, "updated_at": now}),
                          (Consent, {"given_by": None, "legal_reason": None, "document_ref": None,
                                     "guardian_phone": None})):
        await session.exec(update(model).where(col(model.child_id) == child.id).values(**values))
    household_id = child.household_id
    child.full_name = ERASED_NAME
    child.nik = None
    child.household_id = None
    child.birth_date = date(child.birth_date.year, 7, 1)
    child.work = None
    child.erased_at = now
    child.erasure_basis = basis
    child.version += 1
    child.updated_at = now
    session.add(child)
    if household_id is not None:
        await _drop_household_if_unused(session, household_id)
    reason = f"personal data erased ({basis}{', ' + reference if reference else ''})"
    if principal is not None:
        await history.record(session, child=child, principal=principal, now=now, from_status=child.status,
                             reason=reason)
    else:  # the retention sweeper
        session.add(CaseHistory(child_id=child.id, at=now, actor=SYSTEM, actor_role="system",
                                from_status=child.status, to_status=child.status, reason=reason))
    await emit(session, ChildErased(child_id=child.id, village_code=child.village_code, basis=basis,
                                    on=now.date()), at=now)
    return child


async def _drop_household_if_unused(session: AsyncSession, household_id) -> None:
    others = (await session.exec(select(Child.id).where(Child.household_id == household_id).limit(1))).first()
    if others is None:
        await session.exec(update(Household).where(col(Household.id) == household_id)
                           .values(head_name=None, address=None))


async def erase_expired(sessions, *, now: datetime, years: int, batch: int = 500) -> int:
    """Erase every closed case untouched for `years`: one transaction per batch, rows claimed with
    SKIP LOCKED so replicas share the work. Returns how many were erased."""
    cutoff = now - timedelta(days=round(365.25 * years))
    total = 0
    while True:
        async with transaction(sessions) as session:
            due = (await session.exec(
                select(Child).where(Child.status == "closed", col(Child.erased_at).is_(None),
                                    col(Child.merged_into).is_(None), col(Child.updated_at) < cutoff)
                .order_by(col(Child.updated_at)).limit(batch).with_for_update(skip_locked=True))).all()
            for child in due:
                await erase(session, child=child, basis="retention", reference=None, principal=None, now=now)
        total += len(due)
        if len(due) < batch:
            return total


async def _retention_pass(app) -> None:
    erased = await erase_expired(app.state.sessions, now=app.state.clock.now(),
                                 years=app.state.settings.retention_years)
    if erased:
        log.info("personal data erased at the end of the retention period", count=erased)


retention_sweeper = periodic(_retention_pass, every="retention_sweep_seconds", what="retention sweep")
