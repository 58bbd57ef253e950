"""Assessing and flagging a case."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from registry.cases import history
from registry.cases.lifecycle import CaseStatus, can_move
from registry.cases.models import CaseHistory, Consent, Flag
from registry.cases.needs import derive_needs
from registry.cases.schemas import AssessmentCreate, ClosureIn, ConsentWithdrawal, FlagCreate, FlagRejection
from registry.children.events import announce_update
from registry.children.models import Child
from registry.children.service import age_on, reclassify
from sprpa_contracts.events import CaseFlagged, ConsentWithdrawn, FlagAwaitingApproval
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.db import Inserting, Part, transaction
from sprpa_shared.errors import Conflict, Forbidden, ValidationFailed
from sprpa_shared.events.outbox import emit, emit_all
from sprpa_shared.ids import new_id
from sprpa_shared.jobs import periodic
from sprpa_shared.observability import get_logger

log = get_logger(__name__)
SYSTEM = Principal(subject="service:registry", role=Role.INTEGRATION)

CONSENT_SCOPE = ["share_with_mou_providers"]
SHARE_GUARDIAN_CONTACT = "share_guardian_contact_with_provider"  # the provider who accepted may reach the guardian


async def assess(session: AsyncSession, *, child: Child, data: AssessmentCreate, principal: Principal,
                 now: datetime) -> Child:
    """Record the facts, recompute the classification; the case becomes assessed where it may
    (a relapse reopens a closed case); a case already in remediation keeps its status."""
    child.work = data.work.model_dump(mode="json") if data.work else None
    child.school_status = data.school_status
    child.living_arrangement = data.living_arrangement
    if data.mapping_categories is not None:
        child.mapping_categories = [category.value for category in data.mapping_categories]
    child.root_causes = [cause.value for cause in data.root_causes]
    reclassify(child, now.date())
    await announce_update(session, child, now=now, changed=sorted(
        {"work", "school_status", "living_arrangement", "root_causes", "classification"}
        | ({"mapping_categories"} if data.mapping_categories is not None else set())))
    if can_move(CaseStatus(child.status), CaseStatus.ASSESSED):
        await history.move(session, child=child, target=CaseStatus.ASSESSED, principal=principal, now=now,
                           reason=f"assessed: {child.classification['result']}")
    else:
        child.version += 1
        child.updated_at = now
        session.add(child)
    return child


async def flag(session: AsyncSession, *, child: Child, awaiting_approval: bool, data: FlagCreate,
               principal: Principal, now: datetime) -> Flag:
    """`awaiting_approval`: whether a flag of the child waits for a second person's approval, read
    with the locked child (`ChildToFlagDep`)."""
    if child.status != CaseStatus.ASSESSED.value:
        raise Conflict(
            f"only an assessed case can be flagged; this one is {child.status}",
            current_status=child.status,
        )
    if awaiting_approval:
        raise Conflict("a flag of this child already awaits a second person's approval: approve that one first")
    if data.consent.given_on > now.date():
        raise ValidationFailed("consent cannot be dated in the future", field="consent.given_on")
    if data.consent.valid_until is not None and data.consent.valid_until < now.date():
        raise ValidationFailed("this consent has already ended: record the consent in force",
                               field="consent.valid_until")
    age = age_on(child.birth_date, now.date())
    if age >= 18:
        raise Conflict("the person is 18 or older: no longer a child for remediation")
    # Rows written at once, not through the unit of work (neither is read back in this transaction):
    # plain models, without the ORM's instrumentation.
    consent = Consent.model_construct(
        id=new_id(),
        child_id=child.id,
        **data.consent.model_dump(exclude={"share_contact_with_provider"}),
        scope=CONSENT_SCOPE + ([SHARE_GUARDIAN_CONTACT] if data.consent.share_contact_with_provider else []),
        recorded_at=now,
        recorded_by=principal.subject,
    )
    needs = _chosen_needs(data, age)
    record = Flag.model_construct(
        id=new_id(),
        child_id=child.id,
        consent_id=consent.id,
        root_causes=[cause.value for cause in data.root_causes],
        needs=needs,
        dropped_needs=[dropped.model_dump(mode="json") for dropped in data.dropped_needs],
        preferences={need: wanted.model_dump(mode="json", exclude_none=True)
                     for need, wanted in data.preferences.items() if not wanted.is_empty()},
        flagged_at=now,
        flagged_by=principal.subject,
        # No guardian consent (the guardian may be the exploiter): a second person approves first.
        approval="pending" if data.consent.basis == "legal_basis" else "not_needed",
    )
    # Both rows go with the change's other statements, in one round trip (db.together).
    written = [_CONSENT.part([consent.model_dump()]), _FLAG.part([record.model_dump()])]
    if record.approval == "pending":
        await emit_all(session, [FlagAwaitingApproval(child_id=child.id, village_code=child.village_code,
                                                      flag_id=record.id, needs=needs)], along=written)
        return record
    await _activate(session, child=child, record=record, consent=consent, principal=principal, now=now, age=age,
                    along=written)
    return record


_CONSENT = Inserting(Consent.__table__)
_FLAG = Inserting(Flag.__table__)


def _chosen_needs(data: FlagCreate, age: int) -> list[str]:
    """The derived needs (the same mapping as the preview) and the extra ones, less those the operator
    dropped; every dropped need and every preference must name a need of this flag."""
    derived = derive_needs(list(data.root_causes), age=age, extra=data.extra_needs)
    dropped = {entry.need for entry in data.dropped_needs}
    if stray := sorted(dropped - set(derived)):
        raise ValidationFailed(f"not among the needs this flag would request: {', '.join(stray)} (see the preview)",
                               field="dropped_needs")
    needs = [need for need in derived if need not in dropped]
    if not needs:
        raise ValidationFailed("every need was dropped: a flag asks for at least one service", field="dropped_needs")
    if stray := sorted(set(data.preferences) - set(needs)):
        raise ValidationFailed(f"preferences for needs this flag does not request: {', '.join(stray)}",
                               field="preferences")
    return needs


async def approve(session: AsyncSession, *, child: Child, principal: Principal, now: datetime) -> Flag:
    """A second operator (or a national admin) approves a flag made on a legal basis; then it refers."""
    if principal.role not in (Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN):
        raise Forbidden("only a district operator or a national admin approves a flag without guardian consent")
    record = await _pending_flag(session, child)
    if record is None:
        raise Conflict("no flag of this child awaits approval")
    if record.flagged_by == principal.subject:
        raise Forbidden("a second person must approve: whoever flagged the case cannot approve it")
    if child.status != CaseStatus.ASSESSED.value:
        raise Conflict(f"only an assessed case can be flagged; this one is {child.status}",
                       current_status=child.status)
    record.approval, record.approved_by, record.approved_at = "approved", principal.subject, now
    session.add(record)
    await _activate(session, child=child, record=record, consent=await session.get(Consent, record.consent_id),
                    principal=principal, now=now, age=age_on(child.birth_date, now.date()),
                    reason="override approved: ")
    return record


async def latest_flag(session: AsyncSession, child_id: uuid.UUID) -> Flag | None:
    query = select(Flag).where(Flag.child_id == child_id).order_by(col(Flag.flagged_at).desc()).limit(1)
    return (await session.exec(query)).first()


async def _pending_flag(session: AsyncSession, child: Child) -> Flag | None:
    """The child's flag waiting for approval (at most one: a second flag is refused while it waits)."""
    query = select(Flag).where(Flag.child_id == child.id, Flag.approval == "pending").with_for_update()
    return (await session.exec(query)).first()


async def _activate(session: AsyncSession, *, child: Child, record: Flag, consent: Consent, principal: Principal,
                    now: datetime, age: int, reason: str = "", along: Sequence[Part | None] = ()) -> None:
    """The case becomes flagged and `case.flagged` goes out for the referral engine."""
    await history.move(
        session, child=child, target=CaseStatus.FLAGGED, principal=principal, now=now,
        also={"flagged_as": child.classification["result"]}, along=along,
        reason=f"{reason}flagged with needs {', '.join(record.needs)}" + "".join(
            f"; dropped {entry['need']} ({entry['reason']})" for entry in record.dropped_needs),
        then=(CaseFlagged(
            child_id=child.id,
            flag_id=record.id,
            consent_id=consent.id,
            consent_scope=consent.scope,
            village_code=child.village_code,
            age=age,
            sex=child.sex,
            classification=child.classification["result"],
            needs=record.needs,
            preferences=record.preferences,
        ),),
    )


async def case_history(session: AsyncSession, child_id: uuid.UUID) -> list[CaseHistory]:
    query = select(CaseHistory).where(CaseHistory.child_id == child_id).order_by(col(CaseHistory.id))
    return list((await session.exec(query)).all())


async def close(session: AsyncSession, *, child: Child, data: ClosureIn, principal: Principal, now: datetime) -> Child:
    """The district closes a case with its reason (a code: the history holds no free text)."""
    principal.require_role(Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN, Role.INTEGRATION)
    if child.status == CaseStatus.CLOSED.value:
        raise Conflict("the case is already closed", current_status=child.status)
    await history.move(session, child=child, target=CaseStatus.CLOSED, principal=principal, now=now,
                       reason=f"closed: {data.reason.value}")
    return child


async def reject(session: AsyncSession, *, child: Child, data: FlagRejection, principal: Principal,
                 now: datetime) -> Flag:
    """A second operator (or a national admin) rejects a flag waiting for approval, with a reason;
    the case stays assessed and may be flagged again."""
    if principal.role not in (Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN):
        raise Forbidden("only a district operator or a national admin rejects a flag")
    record = await _pending_flag(session, child)
    if record is None:
        raise Conflict("no flag of this child awaits approval")
    record.approval, record.approved_by, record.approved_at = "rejected", principal.subject, now
    session.add(record)
    await history.record(session, child=child, principal=principal, now=now, from_status=child.status,
                         reason=f"flag rejected: {data.reason}")
    return record


async def withdraw_consent(session: AsyncSession, *, child: Child, data: ConsentWithdrawal, principal: Principal,
                           now: datetime) -> Consent:
    """The consent of the child's latest flag is withdrawn: recorded, announced (the engine cancels
    what is live and offers nothing more), and in the history."""
    if principal.role not in (Role.DISTRICT_OPERATOR, Role.NATIONAL_ADMIN, Role.INTEGRATION):
        raise Forbidden("the district records a withdrawal of consent")
    if data.withdrawn_on > now.date():
        raise ValidationFailed("a withdrawal cannot be dated in the future", field="withdrawn_on")
    consent = (await session.exec(select(Consent).where(Consent.child_id == child.id)
                                  .order_by(col(Consent.recorded_at).desc()).with_for_update())).first()
    if consent is None or consent.withdrawn_on is not None or consent.expired_at is not None:
        raise Conflict("the child has no consent in force to withdraw")
    if data.withdrawn_on < consent.given_on:
        raise ValidationFailed("a withdrawal cannot come before the consent was given", field="withdrawn_on")
    consent.withdrawn_on, consent.withdrawn_by = data.withdrawn_on, principal.subject
    session.add(consent)
    await history.record(session, child=child, principal=principal, now=now, from_status=child.status,
                         reason="consent withdrawn")
    await emit(session, ConsentWithdrawn(child_id=child.id, village_code=child.village_code, consent_id=consent.id,
                                         on=data.withdrawn_on), at=now)
    return consent


async def expire_consents(sessions, *, now: datetime, batch: int = 500) -> int:
    """Every consent whose last day has passed ends: announced once (the engine cancels what is live
    and refuses the case, as on a withdrawal), in the child's history. Rows claimed with SKIP LOCKED
    so replicas share the work; one transaction per batch. Returns how many ended."""
    total = 0
    while True:
        async with transaction(sessions) as session:
            due = (await session.exec(
                select(Consent).where(col(Consent.valid_until) < now.date(), col(Consent.expired_at).is_(None),
                                      col(Consent.withdrawn_on).is_(None))
                .order_by(col(Consent.valid_until)).limit(batch).with_for_update(skip_locked=True))).all()
            for consent in due:
                consent.expired_at = now
                session.add(consent)
                child = await session.get(Child, consent.child_id)
                if child is None or child.erased_at is not None:
                    continue
                await history.record(session, child=child, principal=SYSTEM, now=now, from_status=child.status,
                                     reason="consent expired")
                await emit(session, ConsentWithdrawn(
                    child_id=child.id, village_code=child.village_code, consent_id=consent.id,
                    on=consent.valid_until + timedelta(days=1), reason="expired"), at=now)
        total += len(due)
        if len(due) < batch:
            return total


async def _consent_pass(app) -> None:
    ended = await expire_consents(app.state.sessions, now=app.state.clock.now())
    if ended:
        log.info("consents ended on their last day", count=ended)


consent_sweeper = periodic(_consent_pass, every="retention_sweep_seconds", what="consent expiry sweep")
