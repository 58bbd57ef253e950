"""What providers and the district do to a referral, and what the SLA sweeper does on the clock.

Every action locks the referral's need first (see `referral.engine`), re-reads the referral
under that lock, checks the move, changes it, moves the need on and records the step.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from referral import access
from referral.directory import repository
from referral.fanout import engine
from referral.kabupaten.service import KabupatenRules, rules_for
from referral.models import Case, Need, Referral
from referral.rules.lifecycle import CancelReason, DeclineReason, Outcome, Status, require_move
from referral.rules.matching import match
from referral.settings import ReferralSettings
from sprpa_contracts.eligibility import ChildNeed
from sprpa_shared import concurrency
from sprpa_shared.auth.principal import Principal
from sprpa_shared.errors import Conflict, NotFound, ValidationFailed

MOU_LAPSED = "mou_lapsed"  # the withdrawal's reason: the organisation's MOU expired or was terminated
_STATS = text("""
INSERT INTO organization_stats (organization_id, responded, accepted, expired, response_seconds)
VALUES (:org, :responded, :accepted, :expired, :seconds)
ON CONFLICT (organization_id) DO UPDATE SET
    responded = organization_stats.responded + EXCLUDED.responded,
    accepted = organization_stats.accepted + EXCLUDED.accepted,
    expired = organization_stats.expired + EXCLUDED.expired,
    response_seconds = organization_stats.response_seconds + EXCLUDED.response_seconds
""")


async def _locked(session: AsyncSession, referral: Referral, if_match: str | None) -> tuple[Need, Referral, Case]:
    """Need, case, referral: locked in the engine's order, and read again under the locks; with
    If-Match, the referral must still be the version the caller read (412 otherwise)."""
    need = await session.get(Need, referral.need_id, with_for_update=True, populate_existing=True)
    case = await session.get(Case, referral.case_id, with_for_update=True, populate_existing=True)
    referral = await session.get(Referral, referral.id, with_for_update=True, populate_existing=True)
    if if_match is not None:
        concurrency.require_match(if_match, referral.version, what="referral")
    return need, referral, case


async def _record(session: AsyncSession, referral: Referral, now: datetime, *, accepted: bool = False,
                  expired: bool = False) -> None:
    seconds = 0.0 if expired else (now - referral.offered_at).total_seconds()
    await (await session.connection()).execute(_STATS, {
        "org": referral.organization_id, "responded": 0 if expired else 1, "accepted": int(accepted),
        "expired": int(expired), "seconds": seconds})


def _day(on: date | None, *, now: datetime, after: date, after_what: str) -> date | None:
    """The day the provider says it happened: not in the future, not before what it follows."""
    if on is None:
        return None
    if on > now.date():
        raise ValidationFailed("the day cannot be in the future", field="on")
    if on < after:
        raise ValidationFailed(f"the day cannot come before {after_what} ({after.isoformat()})", field="on")
    return on


async def accept(session: AsyncSession, *, referral: Referral, principal: Principal, now: datetime,
                 on: date | None = None, if_match: str | None = None) -> Referral:
    access.require_provider_of(principal, referral)
    need, referral, case = await _locked(session, referral, if_match)
    if referral.status == Status.WITHDRAWN and need.status in (engine.NeedStatus.ACCEPTED,
                                                               engine.NeedStatus.IN_SERVICE):
        raise Conflict("another provider accepted this need first; the offer was withdrawn",
                       current_status=referral.status)
    require_move(referral.status, Status.ACCEPTED)
    if (await (await session.connection()).execute(_LAPSED_ONE, {"id": referral.id, "today": now.date()})).first():
        raise Conflict("your organisation's MOU with this kabupaten is no longer in force for this service (expired "
                       "or terminated): the offer will be withdrawn and go to another provider",
                       current_status=referral.status, reason=MOU_LAPSED)
    if referral.offering_id is not None:
        free = await repository.free_places(session, referral.offering_id)
        if free is not None and free <= 0:
            raise Conflict("the service has no free place; decline with reason no_capacity, or raise its capacity "
                           "in the directory first", current_status=referral.status)
    on = _day(on, now=now, after=referral.offered_at.date(), after_what="the offer")
    step = engine.Step(session=session, case=case, actor=principal, now=now)
    await _record(session, referral, now, accepted=True)
    engine.move(referral, Status.ACCEPTED, now, on=on)
    session.add(referral)
    step.referral_changed(referral)
    engine.set_status(step, need, engine.NeedStatus.ACCEPTED)
    await engine.withdraw_others(step, need, keep=referral.id)
    await step.finish()
    return referral


async def decline(session: AsyncSession, *, referral: Referral, principal: Principal, reason: DeclineReason,
                  text_: str | None, settings: ReferralSettings, now: datetime,
                  if_match: str | None = None) -> Referral:
    access.require_provider_of(principal, referral)
    need, referral, case = await _locked(session, referral, if_match)
    require_move(referral.status, Status.DECLINED)
    step = engine.Step(session=session, case=case, actor=principal, now=now)
    await _record(session, referral, now)
    engine.move(referral, Status.DECLINED, now)
    referral.reason, referral.reason_text = reason.value, text_
    session.add(referral)
    step.referral_changed(referral, reason=reason.value, note=text_)
    await engine.fill(step, need, await rules_for(session, settings, case.regency_code))
    await step.finish()
    return referral


async def start(session: AsyncSession, *, referral: Referral, principal: Principal, now: datetime,
                on: date | None = None, if_match: str | None = None) -> Referral:
    access.require_provider_of(principal, referral)
    need, referral, case = await _locked(session, referral, if_match)
    require_move(referral.status, Status.IN_SERVICE)
    on = _day(on, now=now, after=referral.accepted_on or referral.offered_at.date(), after_what="the acceptance")
    step = engine.Step(session=session, case=case, actor=principal, now=now)
    engine.move(referral, Status.IN_SERVICE, now, on=on)
    session.add(referral)
    step.referral_changed(referral)
    engine.set_status(step, need, engine.NeedStatus.IN_SERVICE)
    await step.finish()
    return referral


async def complete(session: AsyncSession, *, referral: Referral, principal: Principal, outcome: Outcome,
                   text_: str | None, now: datetime, on: date | None = None, sessions: int | None = None,
                   if_match: str | None = None) -> Referral:
    access.require_provider_of(principal, referral)
    need, referral, case = await _locked(session, referral, if_match)
    require_move(referral.status, Status.COMPLETED, outcome=outcome)
    on = _day(on, now=now, after=referral.started_on or referral.accepted_on or referral.offered_at.date(),
              after_what="the start" if referral.started_on else "the acceptance")
    step = engine.Step(session=session, case=case, actor=principal, now=now)
    engine.move(referral, Status.COMPLETED, now, on=on)
    referral.outcome, referral.reason_text, referral.sessions = outcome.value, text_, sessions
    session.add(referral)
    step.referral_changed(referral, reason=outcome.value, note=text_)
    engine.set_status(step, need, engine.NeedStatus.COMPLETED)
    await step.finish()
    return referral


async def cancel(session: AsyncSession, *, referral: Referral, principal: Principal, reason: CancelReason,
                 text_: str | None, now: datetime, if_match: str | None = None) -> Referral:
    """The district takes a referral back; the need waits for the district if nothing else is out."""
    access.require_district_writer(principal, referral.village_code)
    need, referral, case = await _locked(session, referral, if_match)
    require_move(referral.status, Status.CANCELLED)
    step = engine.Step(session=session, case=case, actor=principal, now=now)
    engine.move(referral, Status.CANCELLED, now)
    referral.reason, referral.reason_text = reason.value, text_
    session.add(referral)
    step.referral_changed(referral, reason=reason.value, note=text_)
    others = await engine.referrals_of(session, need)
    if not any(other.status == Status.OFFERED for other in others):
        engine.set_status(step, need, engine.NeedStatus.UNMET)
    await step.finish()
    return referral


async def re_refer(session: AsyncSession, *, need_id: uuid.UUID, child_id: uuid.UUID, offering_id: uuid.UUID,
                   principal: Principal, settings: ReferralSettings, now: datetime,
                   referral_id: uuid.UUID | None = None) -> Referral:
    """The district sends a need to a named offering: other open offers are withdrawn."""
    need = await session.get(Need, need_id, with_for_update=True)
    case = await session.get(Case, need.case_id, with_for_update=True) if need else None
    if case is None or case.child_id != child_id or not access.can_read_case(principal, case.village_code):
        raise NotFound("no such need")
    access.require_district_writer(principal, case.village_code)
    if case.status == "refused":
        raise Conflict(f"the case was refused ({case.refused_reason}): record consent and flag it again")
    if need.status == engine.NeedStatus.COMPLETED:
        raise Conflict("this need was already served to completion; flag a new need if the child needs more",
                       current_status=need.status)
    referrals = await engine.referrals_of(session, need)
    if any(r.status in (Status.ACCEPTED, Status.IN_SERVICE) for r in referrals):
        raise Conflict("a provider holds this need; cancel that referral first", current_status=need.status)
    candidate = await repository.candidate(session, offering_id)
    if candidate is None:
        raise Conflict("no such offering in the directory", offering_id=str(offering_id))
    eligible, excluded = match(ChildNeed(category=need.category, village_code=case.village_code, age=case.age,
                                         sex=case.sex), [candidate], now.date())
    if excluded:
        raise Conflict("the offering cannot take this need", reasons=list(excluded[0].reasons))
    step = engine.Step(session=session, case=case, actor=principal, now=now)
    await engine.withdraw_others(step, need, keep=None)
    referral = engine.offer(step, need, await rules_for(session, settings, case.regency_code),
                            organization_id=candidate.organization_id, offering_id=candidate.offering_id,
                            area=eligible[0].area, referral_id=referral_id)
    engine.set_status(step, need, engine.NeedStatus.MATCHING)
    await step.finish()
    return referral


# An offer whose organisation no longer holds an MOU with the kabupaten in force today that covers
# the need's category (any category, for the backbone): it may not be accepted, and is withdrawn.
_LAPSED = """r.status = 'offered' AND NOT EXISTS (
    SELECT 1 FROM replica_mous m
    WHERE m.organization_id = r.organization_id AND m.regency_code = r.regency_code
      AND (r.backbone OR r.category = ANY(m.service_categories)) AND m.signed_date IS NOT NULL
      AND m.valid_from <= :today AND m.valid_until >= :today
      AND (m.terminated_on IS NULL OR m.terminated_on > :today))"""
_DUE = text(f"""
SELECT n.id FROM needs n
WHERE n.status = 'matching'
  AND EXISTS (SELECT 1 FROM referrals r WHERE r.need_id = n.id
              AND ((r.status = 'offered' AND r.deadline <= :now) OR ({_LAPSED})))
ORDER BY n.id
LIMIT :batch
FOR UPDATE OF n SKIP LOCKED
""")
_LAPSED_OF = text(f"SELECT r.id FROM referrals r WHERE r.need_id = :need AND {_LAPSED}")
_LAPSED_ONE = text(f"SELECT 1 FROM referrals r WHERE r.id = :id AND {_LAPSED}")


async def sweep(session: AsyncSession, *, settings: ReferralSettings, now: datetime) -> int:
    """Expire the offers past their deadline and offer the next candidates; returns how many expired.

    Claims needs with SKIP LOCKED: several replicas (and a provider answering at the same moment)
    never work on one need twice; a need claimed elsewhere is left for the next sweep."""
    connection = await session.connection()
    need_ids = (await connection.execute(_DUE, {"now": now, "today": now.date(), "batch": settings.sla_sweep_batch})
                ).scalars().all()
    expired = 0
    rules: dict[str, KabupatenRules] = {}  # one look-up per kabupaten in a pass
    for need_id in need_ids:
        need = await session.get(Need, need_id)
        case = await session.get(Case, need.case_id, with_for_update=True)
        if case.regency_code not in rules:
            rules[case.regency_code] = await rules_for(session, settings, case.regency_code)
        step = engine.Step(session=session, case=case, actor=engine.ENGINE, now=now)
        lapsed = set((await connection.execute(_LAPSED_OF, {"need": need_id, "today": now.date()})).scalars().all())
        for referral in await engine.referrals_of(session, need):
            if referral.status == Status.OFFERED and referral.deadline <= now:
                await _record(session, referral, now, expired=True)
                engine.move(referral, Status.EXPIRED, now)
                session.add(referral)
                step.referral_changed(referral, reason="sla")
                expired += 1
            elif referral.id in lapsed:
                engine.move(referral, Status.WITHDRAWN, now)
                referral.reason = MOU_LAPSED
                session.add(referral)
                step.referral_changed(referral, reason=MOU_LAPSED)
        await engine.fill(step, need, rules[case.regency_code])
        await step.finish()
    return expired
